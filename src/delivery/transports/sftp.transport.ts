import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { AppError } from '../../domain/app-error.js';
import type {
  ChannelTarget,
  ChannelTestReport,
  DeliveryFile,
  DeliveryReceipt,
  ServerTransport,
  TestStep,
} from './delivery-transport.js';

/** OpenSSH's notation, as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64 of the raw key's hash. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function failure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new AppError('DELIVERY_FAILED', `sftp: ${reason}`, { reason }, { cause: error });
}

function tempName(fileName: string): string {
  return `.${fileName}.${randomBytes(4).toString('hex')}.part`;
}

/**
 * SFTP with password or private key. The host key is checked on every connection against the pinned
 * fingerprint; before the first successful test nothing is pinned and the test reports what it saw.
 */
export class SftpTransport implements ServerTransport {
  constructor(private readonly options: { timeoutMs?: number } = {}) {}

  private async connect(
    channel: ChannelTarget,
    allowUnpinned: boolean,
  ): Promise<{ client: SftpClient; seen: string }> {
    if (!channel.host || !channel.username || channel.secret === null) {
      throw new AppError('CHANNEL_INVALID', 'sftp channel without host, user or secret', {
        reason: 'paramètres incomplets',
      });
    }
    if (!allowUnpinned && !channel.hostKeyFingerprint) {
      throw new AppError('HOST_KEY_MISMATCH', 'no pinned host key: test the channel first');
    }
    let seen = '';
    let mismatch = false;
    const client = new SftpClient('publiwatt');
    try {
      await client.connect({
        host: channel.host,
        port: channel.port ?? 22,
        username: channel.username,
        ...(channel.authKind === 'key' ? { privateKey: channel.secret } : { password: channel.secret }),
        readyTimeout: this.options.timeoutMs ?? 15_000,
        retries: 0,
        hostVerifier: (key: Buffer) => {
          seen = hostKeyFingerprint(key);
          mismatch = channel.hostKeyFingerprint !== null && seen !== channel.hostKeyFingerprint;
          return !mismatch;
        },
      });
    } catch (error) {
      await client.end().catch(() => undefined);
      if (mismatch) {
        throw new AppError(
          'HOST_KEY_MISMATCH',
          `sftp: the server presented host key ${seen}, not the pinned ${channel.hostKeyFingerprint}`,
          { seen, pinned: channel.hostKeyFingerprint ?? '' },
        );
      }
      throw failure(error);
    }
    return { client, seen };
  }

  async deliver(file: DeliveryFile, channel: ChannelTarget): Promise<DeliveryReceipt> {
    const { client } = await this.connect(channel, false);
    const dir = channel.remoteDir || '.';
    const finalPath = path.posix.join(dir, file.fileName);
    const temp = path.posix.join(dir, tempName(file.fileName));
    try {
      await client.put(file.stream(), temp);
      const size = (await client.stat(temp)).size;
      if (size !== file.size) {
        throw new AppError('DELIVERY_FAILED', `sftp: remote size ${size} ≠ ${file.size}`, {
          reason: `taille distante ${size} octets au lieu de ${file.size}`,
        });
      }
      // posix-rename@openssh.com replaces an existing file atomically (a re-send of the same name).
      await client.posixRename(temp, finalPath);
      return { location: finalPath, size };
    } catch (error) {
      await client.delete(temp, true).catch(() => undefined);
      throw failure(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async test(channel: ChannelTarget): Promise<ChannelTestReport> {
    const steps: TestStep[] = [];
    let connected: { client: SftpClient; seen: string };
    try {
      connected = await this.connect(channel, true);
      steps.push({ step: 'connect', ok: true, message: `connected, host key ${connected.seen}` });
    } catch (error) {
      steps.push({ step: 'connect', ok: false, message: failure(error).detail });
      return { ok: false, steps };
    }
    const { client, seen } = connected;
    const dir = channel.remoteDir || '.';
    const temp = path.posix.join(dir, tempName('publiwatt-test.txt'));
    const renamed = path.posix.join(dir, `.publiwatt-test-${randomBytes(4).toString('hex')}.txt`);
    try {
      for (const [step, action, message] of [
        ['write', () => client.put(Buffer.from('Publiwatt test\n'), temp), `wrote ${temp}`],
        ['rename', () => client.rename(temp, renamed), `renamed to ${renamed}`],
        ['delete', () => client.delete(renamed), `deleted ${renamed}`],
      ] as const) {
        try {
          await action();
          steps.push({ step, ok: true, message });
        } catch (error) {
          steps.push({ step, ok: false, message: failure(error).detail });
          await client.delete(temp, true).catch(() => undefined);
          await client.delete(renamed, true).catch(() => undefined);
          return { ok: false, steps, hostKeyFingerprint: seen };
        }
      }
      return { ok: true, steps, hostKeyFingerprint: seen };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
