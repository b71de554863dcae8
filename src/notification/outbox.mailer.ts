import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
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

/**
 * How long an outbox temporary file may go unmodified before it counts as abandoned: a mail is written
 * in one call and renamed at once, so any older one was left by a process that died.
 */
export const ABANDONED_OUTBOX_PART_AGE_MS = 10 * 60_000;

/**
 * Removes the outbox's temporary files (`.<name>.eml.part`) last modified before `olderThan`; returns
 * how many. A missing folder has none.
 */
export async function removeAbandonedOutboxParts(directory: string, olderThan: Date): Promise<number> {
  const names = await readdir(directory).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!/^\..+\.eml\.part$/.test(name)) continue;
    const file = path.join(directory, name);
    // Gone meanwhile: its writer renamed or removed it.
    const modified = await stat(file).then(
      (info) => info.mtime,
      () => undefined,
    );
    if (modified && modified < olderThan) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
