import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import { AppError } from '../../domain/app-error.js';
import type {
  ChannelTarget,
  ChannelTestReport,
  DeliveryFile,
  DeliveryReceipt,
  ServerTransport,
  TestStep,
} from './delivery-transport.js';

function failure(kind: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new AppError('DELIVERY_FAILED', `${kind}: ${reason}`, { reason }, { cause: error });
}

function tempName(fileName: string): string {
  return `.${fileName}.${randomBytes(4).toString('hex')}.part`;
}

/**
 * FTP and explicit FTPS (AUTH TLS, data channel protected too). FTPS verifies the server certificate
 * unless the channel opted out for a self-signed one; plain FTP is only used for channels of kind `ftp`,
 * which the user chose explicitly.
 */
export class FtpTransport implements ServerTransport {
  constructor(private readonly options: { timeoutMs?: number } = {}) {}

  private async connect(channel: ChannelTarget): Promise<Client> {
    if (!channel.host || !channel.username || channel.secret === null) {
      throw new AppError('CHANNEL_INVALID', `${channel.kind} channel without host, user or password`, {
        reason: 'paramètres incomplets',
      });
    }
    const client = new Client(this.options.timeoutMs ?? 15_000);
    try {
      await client.access({
        host: channel.host,
        port: channel.port ?? 21,
        user: channel.username,
        password: channel.secret,
        secure: channel.kind === 'ftps',
        secureOptions:
          channel.kind === 'ftps'
            ? {
                rejectUnauthorized: !channel.allowSelfSigned,
                // SNI takes host names only (RFC 6066).
                servername: isIP(channel.host) ? undefined : channel.host,
              }
            : undefined,
      });
      if (channel.remoteDir) await client.cd(channel.remoteDir);
      return client;
    } catch (error) {
      client.close();
      throw failure(channel.kind, error);
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
        throw new AppError('DELIVERY_FAILED', `${channel.kind}: remote size ${size} ≠ ${file.size}`, {
          reason: `taille distante ${size} octets au lieu de ${file.size}`,
        });
      }
      await client.rename(temp, file.fileName);
      const dir = channel.remoteDir ?? '';
      return { location: dir ? `${dir.replace(/\/$/, '')}/${file.fileName}` : file.fileName, size };
    } catch (error) {
      await this.removeQuietly(client, channel, temp);
      throw failure(channel.kind, error);
    } finally {
      client.close();
    }
  }

  async test(channel: ChannelTarget): Promise<ChannelTestReport> {
    const steps: TestStep[] = [];
    let client: Client;
    try {
      client = await this.connect(channel);
      steps.push({
        step: 'connect',
        ok: true,
        message: `connected to ${channel.host}:${channel.port ?? 21}`,
      });
    } catch (error) {
      steps.push({ step: 'connect', ok: false, message: failure(channel.kind, error).detail });
      return { ok: false, steps };
    }
    const temp = tempName('publiwatt-test.txt');
    const renamed = `.publiwatt-test-${randomBytes(4).toString('hex')}.txt`;
    try {
      for (const [step, action, message] of [
        [
          'write',
          () => client.uploadFrom(Readable.from([Buffer.from('Publiwatt test\n')]), temp),
          `wrote ${temp}`,
        ],
        ['rename', () => client.rename(temp, renamed), `renamed to ${renamed}`],
        ['delete', () => client.remove(renamed), `deleted ${renamed}`],
      ] as const) {
        try {
          await action();
          steps.push({ step, ok: true, message });
        } catch (error) {
          steps.push({ step, ok: false, message: failure(channel.kind, error).detail });
          await this.removeQuietly(client, channel, temp);
          await this.removeQuietly(client, channel, renamed);
          return { ok: false, steps };
        }
      }
      return { ok: true, steps };
    } finally {
      client.close();
    }
  }
}
