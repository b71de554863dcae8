import { createHash, randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import { AppError } from '../../domain/app-error.js';
import {
  connectFailureCategory,
  customerFailureText,
  deliveryFailure,
  failureCategoryOf,
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

/** OpenSSH's notation, as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64 of the raw key's hash. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** SFTP status codes (draft-ietf-secsh-filexfer) and the client's errno-like codes for them. */
const PERMISSION_CODES = new Set<unknown>([2, 3, 'EACCES', 'ENOENT', 'ENOTDIR', 'EPERM']);

/** A failure after login: the server refused a path, or the transfer broke. */
function transferFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown }).code;
  const category: FailureCategory =
    PERMISSION_CODES.has(code) || /permission denied|no such file/i.test(rawMessage(error))
      ? 'permission'
      : 'transfer';
  return deliveryFailure(category, `sftp: ${rawMessage(error)}`, error);
}

/** Reads a remote stream to its end and until its handle is closed (closing the session before errs). */
function readWhole(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * SFTP with password or private key. The host key is checked on every connection against the pinned
 * fingerprint; before the first successful test nothing is pinned and the test reports what it saw.
 * The host is resolved and checked by the outbound policy, and SSH runs over a socket this transport
 * opened to the checked address.
 */
export class SftpTransport implements ServerTransport {
  private readonly policy: OutboundPolicy;

  constructor(private readonly options: ServerTransportOptions = {}) {
    this.policy = options.policy ?? new OutboundPolicy();
  }

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
      throw deliveryFailure('host-key', 'sftp: no pinned host key: test the channel first');
    }
    const host = channel.host;
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    let seen = '';
    let mismatch = false;
    let authentication = false;
    let socket: Socket | undefined;
    let aborted = false;
    // Errors are handled through the promises; the library would print late ones to the console.
    const client = new SftpClient('publiwatt', {
      error: () => undefined,
      end: () => undefined,
      close: () => undefined,
    });
    client.on('error', (error: { level?: unknown }) => {
      if (error.level === 'client-authentication') authentication = true;
    });
    try {
      await withinDeadline(
        timeoutMs,
        async () => {
          const target = await this.policy.resolve(host);
          if (aborted) return;
          socket = new Socket();
          socket.connect({ host: target.address, port: channel.port ?? 22 });
          await client.connect({
            sock: socket,
            username: channel.username!,
            ...(channel.authKind === 'key' ? { privateKey: channel.secret! } : { password: channel.secret! }),
            readyTimeout: timeoutMs,
            hostVerifier: (key: Buffer) => {
              seen = hostKeyFingerprint(key);
              mismatch = channel.hostKeyFingerprint !== null && seen !== channel.hostKeyFingerprint;
              return !mismatch;
            },
          });
        },
        () => {
          aborted = true;
          socket?.destroy();
        },
      );
    } catch (error) {
      socket?.destroy();
      await client.end().catch(() => undefined);
      if (mismatch) {
        throw deliveryFailure(
          'host-key',
          `sftp: ${host} presented host key ${seen}, not the pinned ${channel.hostKeyFingerprint}`,
        );
      }
      if (error instanceof AppError) throw error;
      const category =
        authentication || /authentication methods failed/i.test(rawMessage(error))
          ? 'authentication'
          : connectFailureCategory(error);
      throw deliveryFailure(category, `sftp: ${host}: ${rawMessage(error)}`, error);
    }
    return { client, seen };
  }

  async deliver(file: DeliveryFile, channel: ChannelTarget): Promise<DeliveryReceipt> {
    const { client } = await this.connect(channel, false);
    const dir = channel.remoteDir || '.';
    const finalPath = path.posix.join(dir, file.fileName);
    try {
      const receipt =
        (await this.findPriorCopy(client, file, finalPath)) ??
        (await this.upload(client, file, dir, finalPath));
      // Recorded while the session is still open: closing can take long or never end.
      await file.onDelivered?.(receipt);
      if (file.retry && file.partTag) await this.removeOwnParts(client, dir, file.fileName, file.partTag);
      return receipt;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async upload(
    client: SftpClient,
    file: DeliveryFile,
    dir: string,
    finalPath: string,
  ): Promise<DeliveryReceipt> {
    const temp = path.posix.join(dir, temporaryName(file.fileName, file.partTag));
    try {
      await client.put(file.stream(), temp);
      const size = (await client.stat(temp)).size;
      if (size !== file.size) {
        throw deliveryFailure('transfer', `sftp: remote size ${size} ≠ ${file.size}`);
      }
      // posix-rename@openssh.com replaces an existing file atomically (a re-send of the same name).
      await client.posixRename(temp, finalPath);
      return { location: finalPath, size };
    } catch (error) {
      await client.delete(temp, true).catch(() => undefined);
      throw transferFailure(error);
    }
  }

  /**
   * An earlier attempt's file under the final name: recognised (same size, same ending once
   * decrypted) it counts as delivered; another file of that name is not replaced.
   */
  private async findPriorCopy(
    client: SftpClient,
    file: DeliveryFile,
    finalPath: string,
  ): Promise<DeliveryReceipt | undefined> {
    const check = file.priorCopy;
    if (!check) return undefined;
    try {
      if ((await client.exists(finalPath)) !== '-') return undefined;
      const size = (await client.stat(finalPath)).size;
      if (size === file.size) {
        const length = Math.min(size, check.tailBytes);
        const tail = await readWhole(
          client.createReadStream(finalPath, { start: size - length, end: size - 1 }),
        );
        if (tail.length === length && (await check.recognise(tail)) !== undefined) {
          return { location: finalPath, size, alreadyPresent: true };
        }
      }
      throw nameTaken(`sftp: ${finalPath} exists (${size} bytes) and is not this file`);
    } catch (error) {
      throw transferFailure(error);
    }
  }

  /** Best effort: what interrupted attempts of this delivery left (a leftover is hidden and harmless). */
  private async removeOwnParts(
    client: SftpClient,
    dir: string,
    fileName: string,
    tag: string,
  ): Promise<void> {
    try {
      const own = ownTemporaryNamePattern(fileName, tag);
      for (const entry of await client.list(dir, (item: { name: string }) => own.test(item.name))) {
        await client.delete(path.posix.join(dir, entry.name), true).catch(() => undefined);
      }
    } catch {
      // The next attempt of this delivery, if any, tries again.
    }
  }

  async test(channel: ChannelTarget): Promise<ChannelTestReport> {
    const steps: TestStep[] = [];
    const failed = (step: TestStep['step'], error: AppError, hostKey?: string): ChannelTestReport => {
      const category = failureCategoryOf(error);
      steps.push({
        step,
        ok: false,
        message: sentence(customerFailureText(error)),
        ...(category ? { failure: category } : {}),
      });
      return {
        ok: false,
        steps,
        failureDetail: error.detail,
        ...(hostKey ? { hostKeyFingerprint: hostKey } : {}),
      };
    };
    let connected: { client: SftpClient; seen: string };
    try {
      connected = await this.connect(channel, true);
      steps.push({ step: 'connect', ok: true, message: `Connecté, clé d’hôte ${connected.seen}` });
    } catch (error) {
      return failed('connect', transferFailure(error));
    }
    const { client, seen } = connected;
    const dir = channel.remoteDir || '.';
    const temp = path.posix.join(dir, temporaryName('publiwatt-test.txt'));
    const renamed = path.posix.join(dir, `.publiwatt-test-${randomBytes(4).toString('hex')}.txt`);
    try {
      for (const [step, action, message] of [
        ['write', () => client.put(Buffer.from('Publiwatt test\n'), temp), 'Fichier temporaire écrit'],
        ['rename', () => client.rename(temp, renamed), 'Fichier renommé'],
        ['delete', () => client.delete(renamed), 'Fichier supprimé'],
      ] as const) {
        try {
          await action();
          steps.push({ step, ok: true, message });
        } catch (error) {
          await client.delete(temp, true).catch(() => undefined);
          await client.delete(renamed, true).catch(() => undefined);
          return failed(step, transferFailure(error), seen);
        }
      }
      return { ok: true, steps, hostKeyFingerprint: seen };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
