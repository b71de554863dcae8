import type { Readable } from 'node:stream';
import type { ChannelKind } from '../../db/schema.js';
import type { FailureCategory } from '../delivery-failure.js';
import type { OutboundPolicy } from '../outbound-policy.js';

/** The encrypted file to send, as the dispatcher prepared it. */
export interface DeliveryFile {
  /** Name on the server or of the attachment: the publication's zip name. */
  fileName: string;
  /** Exact size in bytes of what `stream()` yields (checked against the remote size). */
  size: number;
  /** A fresh stream of the encrypted bytes; called once per delivery. */
  stream(): Readable;
  /** Portal link to the publication, for e-mails too large to attach. */
  archiveUrl: string;
  /** Version of the entreprise key the file is encrypted with, for the e-mail text. */
  keyVersion: number;
  /**
   * Called once the file has its final name, before the connection is closed: the dispatcher records
   * the delivery there, so a process stopped while closing leaves it recorded. Transports without a
   * connection may leave it uncalled (the dispatcher then records when `deliver` returns).
   */
  onDelivered?(receipt: DeliveryReceipt): Promise<void>;
  /**
   * Set when an earlier upload of this file may already be on the server: file servers look for the
   * final name before uploading (docs/delivery.md, "Exactly once").
   */
  priorCopy?: PriorCopyCheck;
  /**
   * Names this delivery's temporary files on file servers, `.<fileName>.<partTag>-<random>.part`, so
   * that a later attempt of the same delivery recognises and removes what an interrupted one left.
   */
  partTag?: string;
  /** An earlier attempt of this delivery was made: file servers remove its temporary files. */
  retry?: boolean;
}

/** Recognises an earlier upload of the same file, whatever its IV and key version. */
export interface PriorCopyCheck {
  /** How many bytes to read from the end of a remote file of the expected size (whole blocks). */
  tailBytes: number;
  /** Whether those bytes end this same file; resolves to the key version it is encrypted with. */
  recognise(tail: Buffer): Promise<number | undefined>;
}

/** A channel with its secret decrypted: only transports and the channel test ever see this. */
export interface ChannelTarget {
  id: number;
  entrepriseId: number;
  kind: ChannelKind;
  label: string;
  email: string | null;
  host: string | null;
  port: number | null;
  username: string | null;
  remoteDir: string | null;
  authKind: 'password' | 'key' | null;
  /** Password, or the PEM/OpenSSH private key when `authKind` is `key`. */
  secret: string | null;
  /** SFTP: pinned host key (`SHA256:…`); null only before the first successful test. */
  hostKeyFingerprint: string | null;
  allowSelfSigned: boolean;
}

/** What a successful delivery reports (stored as JSON on the delivery row). */
export interface DeliveryReceipt {
  /** Where the file went: a remote path, or an e-mail address. */
  location: string;
  size: number;
  /** E-mail only: false when the file was too large and a link was sent instead. */
  attached?: boolean;
  /** File servers: the file was already there from an earlier attempt and was not sent again. */
  alreadyPresent?: true;
}

export type TestStepName = 'connect' | 'write' | 'rename' | 'delete';

export interface TestStep {
  step: TestStepName;
  ok: boolean;
  /** French, for the customer: what was done, or on failure the text of `failure` (never the server's reply). */
  message: string;
  /** On failure, what failed (`delivery-failure.ts`). */
  failure?: FailureCategory;
}

export interface ChannelTestReport {
  ok: boolean;
  steps: TestStep[];
  /** SFTP: the host key the server presented. */
  hostKeyFingerprint?: string;
  /** On failure, the raw error (server reply, system error) for the operator's log; never shown to customers. */
  failureDetail?: string;
}

/**
 * Sends one file to one channel; throws an AppError (DELIVERY_FAILED, HOST_KEY_MISMATCH) on failure,
 * whose `params.category` and `params.reason` say what failed in the customer's words (`delivery-failure.ts`).
 */
export interface DeliveryTransport {
  deliver(file: DeliveryFile, channel: ChannelTarget): Promise<DeliveryReceipt>;
}

/** File-server transports can also be tested: connect, write under a temporary name, rename, delete. */
export interface ServerTransport extends DeliveryTransport {
  test(channel: ChannelTarget): Promise<ChannelTestReport>;
}

/** Options of the file-server transports (SFTP, FTP and FTPS). */
export interface ServerTransportOptions {
  /**
   * Limit of the whole connection (resolution, TCP, TLS or SSH handshake, login, directory) and of each
   * later reply; 15 s by default.
   */
  timeoutMs?: number;
  /** Where connections may go; by default only public addresses. */
  policy?: OutboundPolicy;
}
