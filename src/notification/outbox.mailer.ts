import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Clock } from '../clock.js';
import type { Mail, Mailer } from './mailer.js';

export const MAIL_FROM = 'Publiwatt <ne-pas-repondre@publiwatt.local>';

/**
 * Writes each mail as an RFC 5322 `.eml` file in a folder (`<data dir>/outbox/`), atomically
 * (temporary name, fsync, rename), so a reader never sees half a message.
 */
export class OutboxMailer implements Mailer {
  private readonly composer = nodemailer.createTransport({ streamTransport: true, buffer: true });

  constructor(
    readonly directory: string,
    private readonly clock: Clock,
  ) {}

  async send(mail: Mail): Promise<void> {
    const now = this.clock.now();
    const info = await this.composer.sendMail({ from: MAIL_FROM, date: now, ...mail });
    const message = info.message as Buffer;
    await mkdir(this.directory, { recursive: true });
    const stamp = now.toISOString().replace(/[-:.]/g, '');
    const name = `${stamp}-${randomBytes(4).toString('hex')}.eml`;
    const temporary = path.join(this.directory, `.${name}.part`);
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(message);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(temporary, path.join(this.directory, name));
  }
}
