import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
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
import type {
  ChannelTarget,
  ChannelTestReport,
  DeliveryFile,
  DeliveryReceipt,
  ServerTransport,
  TestStep,
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

function tempName(fileName: string): string {
  return `.${fileName}.${randomBytes(4).toString('hex')}.part`;
}

export interface FtpTransportOptions {
  /** Limit of the whole connection (resolution, TCP, TLS, login, directory) and of each later reply; 15 s by default. */
  timeoutMs?: number;
  /** Where connections may go; by default only public addresses. */
  policy?: OutboundPolicy;
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

  constructor(private readonly options: FtpTransportOptions = {}) {
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
    const temp = tempName(file.fileName);
    try {
      await client.uploadFrom(file.stream(), temp);
      const size = await client.size(temp);
      if (size !== file.size) {
        throw deliveryFailure('transfer', `${channel.kind}: remote size ${size} ≠ ${file.size}`);
      }
      await client.rename(temp, file.fileName);
      const dir = channel.remoteDir ?? '';
      return { location: dir ? `${dir.replace(/\/$/, '')}/${file.fileName}` : file.fileName, size };
    } catch (error) {
      await this.removeQuietly(client, channel, temp);
      throw failure(channel.kind, 'transfer', error);
    } finally {
      client.close();
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
    const temp = tempName('publiwatt-test.txt');
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
