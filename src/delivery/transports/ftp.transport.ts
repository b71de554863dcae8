import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import { AppError } from '../../domain/app-error.js';
import {
  connectFailureCategory,
  customerFailureText,
  deliveryFailure,
  failureCategoryOf,
  isTlsError,
  rawMessage,
  sentence,
  type FailureCategory,
} from '../delivery-failure.js';
import { OutboundPolicy } from '../outbound-policy.js';
import { withinDeadline } from './connect-deadline.js';
import { nameTaken, ownTemporaryNamePattern, temporaryName } from './upload-names.js';
import type {
  ChannelTarget,
  ChannelTestReport,
  DeliveryFile,
  DeliveryReceipt,
  ServerTransport,
  TestStep,
  ServerTransportOptions,
} from './delivery-transport.js';

/** The steps of a connection, each with what its failure means. */
type Phase = 'connect' | 'tls' | 'login' | 'directory' | 'transfer';

/** Storage exhausted (452, 552): the file could not be written whole, not a matter of rights. */
const STORAGE_CODES = new Set([452, 552]);

function categoryOf(phase: Phase, error: unknown): FailureCategory {
  if (phase === 'tls' || isTlsError(error)) return 'tls';
  const ftp = error instanceof FTPError;
  if (phase === 'login' && ftp) return 'authentication';
  if (phase === 'directory' && ftp) return 'permission';
  if (phase === 'transfer') return ftp && !STORAGE_CODES.has(error.code) ? 'permission' : 'transfer';
  return connectFailureCategory(error);
}

function failure(kind: string, phase: Phase, error: unknown): AppError {
  if (error instanceof AppError) return error;
  return deliveryFailure(categoryOf(phase, error), `${kind}: ${rawMessage(error)}`, error);
}

/**
 * FTP and explicit FTPS (AUTH TLS, data channel protected too). FTPS verifies the server certificate
 * against the host name the customer typed unless the channel opted out for a self-signed one; plain
 * FTP is only used for channels of kind `ftp`, which the user chose explicitly. The control connection
 * goes to the address the outbound policy checked; basic-ftp opens data connections to that same
 * address whatever a PASV reply says (its default, `allowSeparateTransferHost` off).
 */
export class FtpTransport implements ServerTransport {
  private readonly policy: OutboundPolicy;

  constructor(private readonly options: ServerTransportOptions = {}) {
    this.policy = options.policy ?? new OutboundPolicy();
  }

  private async connect(channel: ChannelTarget): Promise<Client> {
    if (!channel.host || !channel.username || channel.secret === null) {
      throw new AppError('CHANNEL_INVALID', `${channel.kind} channel without host, user or password`, {
        reason: 'paramètres incomplets',
      });
    }
    const host = channel.host;
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const client = new Client(timeoutMs);
    let phase: Phase = 'connect';
    let aborted = false;
    try {
      await withinDeadline(
        timeoutMs,
        async () => {
          const target = await this.policy.resolve(host);
          if (aborted) return;
          await client.connect(target.address, channel.port ?? 21);
          if (channel.kind === 'ftps') {
            phase = 'tls';
            await client.useTLS({
              rejectUnauthorized: !channel.allowSelfSigned,
              // The certificate is checked against the name typed, not the address connected to; SNI
              // takes host names only (RFC 6066).
              host,
              servername: isIP(host) ? undefined : host,
            });
          }
          phase = 'login';
          await client.sendIgnoringError('OPTS UTF8 ON');
          await client.login(channel.username!, channel.secret!);
          phase = 'connect';
          await client.useDefaultSettings();
          if (channel.remoteDir) {
            phase = 'directory';
            await client.cd(channel.remoteDir);
          }
        },
        () => {
          aborted = true;
          client.close();
        },
      );
      return client;
    } catch (error) {
      client.close();
      throw failure(channel.kind, phase, error);
    }
  }

  /** Best effort: after a failed transfer the control connection may be gone, so reconnect if needed. */
  private async removeQuietly(client: Client, channel: ChannelTarget, name: string): Promise<void> {
    try {
      if (client.closed) {
        const fresh = await this.connect(channel);
        try {
          await fresh.remove(name, true);
        } finally {
          fresh.close();
        }
      } else {
        await client.remove(name, true);
      }
    } catch {
      // The temporary name is never the final one; a leftover is harmless.
    }
  }

  async deliver(file: DeliveryFile, channel: ChannelTarget): Promise<DeliveryReceipt> {
    const client = await this.connect(channel);
    const dir = channel.remoteDir ?? '';
    const location = dir ? `${dir.replace(/\/$/, '')}/${file.fileName}` : file.fileName;
    try {
      const receipt = (await this.findPriorCopy(client, channel, file, location)) ?? {
        location,
        size: await this.upload(client, channel, file),
      };
      // Recorded while the control connection is still open.
      await file.onDelivered?.(receipt);
      if (file.retry && file.partTag) await this.removeOwnParts(client, file.fileName, file.partTag);
      return receipt;
    } finally {
      client.close();
    }
  }

  /** Uploads under a temporary name, checks the size, renames; returns the size. */
  private async upload(client: Client, channel: ChannelTarget, file: DeliveryFile): Promise<number> {
    const temp = temporaryName(file.fileName, file.partTag);
    try {
      await client.uploadFrom(file.stream(), temp);
      const size = await client.size(temp);
      if (size !== file.size) {
        throw deliveryFailure('transfer', `${channel.kind}: remote size ${size} ≠ ${file.size}`);
      }
      await client.rename(temp, file.fileName);
      return size;
    } catch (error) {
      await this.removeQuietly(client, channel, temp);
      throw failure(channel.kind, 'transfer', error);
    }
  }

  /**
   * An earlier attempt's file under the final name (`SIZE`, then its last bytes from an offset with
   * `REST`): recognised, it counts as delivered; another file of that name is not replaced.
   */
  private async findPriorCopy(
    client: Client,
    channel: ChannelTarget,
    file: DeliveryFile,
    location: string,
  ): Promise<DeliveryReceipt | undefined> {
    const check = file.priorCopy;
    if (!check) return undefined;
    let size: number;
    try {
      size = await client.size(file.fileName);
    } catch (error) {
      // 550: no such file (or not a plain file); anything else is a broken connection.
      if (error instanceof FTPError && error.code === 550) return undefined;
      throw failure(channel.kind, 'transfer', error);
    }
    try {
      if (size === file.size) {
        const length = Math.min(size, check.tailBytes);
        const chunks: Buffer[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            chunks.push(chunk);
            callback();
          },
        });
        await client.downloadTo(sink, file.fileName, size - length);
        const tail = Buffer.concat(chunks);
        if (tail.length === length && (await check.recognise(tail)) !== undefined) {
          return { location, size, alreadyPresent: true };
        }
      }
    } catch (error) {
      throw failure(channel.kind, 'transfer', error);
    }
    throw nameTaken(`${channel.kind}: ${location} exists (${size} bytes) and is not this file`);
  }

  /** Best effort: what interrupted attempts of this delivery left (a leftover is hidden and harmless). */
  private async removeOwnParts(client: Client, fileName: string, tag: string): Promise<void> {
    try {
      const own = ownTemporaryNamePattern(fileName, tag);
      for (const entry of await client.list()) {
        if (own.test(entry.name)) await client.remove(entry.name, true);
      }
    } catch {
      // The next attempt of this delivery, if any, tries again.
    }
  }

  async test(channel: ChannelTarget): Promise<ChannelTestReport> {
    const steps: TestStep[] = [];
    const failed = (step: TestStep['step'], error: AppError): ChannelTestReport => {
      const category = failureCategoryOf(error);
      steps.push({
        step,
        ok: false,
        message: sentence(customerFailureText(error)),
        ...(category ? { failure: category } : {}),
      });
      return { ok: false, steps, failureDetail: error.detail };
    };
    let client: Client;
    try {
      client = await this.connect(channel);
      steps.push({ step: 'connect', ok: true, message: 'Connecté' });
    } catch (error) {
      return failed('connect', failure(channel.kind, 'connect', error));
    }
    const temp = temporaryName('publiwatt-test.txt');
    const renamed = `.publiwatt-test-${randomBytes(4).toString('hex')}.txt`;
    try {
      for (const [step, action, message] of [
        [
          'write',
          () => client.uploadFrom(Readable.from([Buffer.from('Publiwatt test\n')]), temp),
          'Fichier temporaire écrit',
        ],
        ['rename', () => client.rename(temp, renamed), 'Fichier renommé'],
        ['delete', () => client.remove(renamed), 'Fichier supprimé'],
      ] as const) {
        try {
          await action();
          steps.push({ step, ok: true, message });
        } catch (error) {
          await this.removeQuietly(client, channel, temp);
          await this.removeQuietly(client, channel, renamed);
          return failed(step, failure(channel.kind, 'transfer', error));
        }
      }
      return { ok: true, steps };
    } finally {
      client.close();
    }
  }
}
