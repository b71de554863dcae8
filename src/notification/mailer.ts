import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import nodemailer from 'nodemailer';

export interface MailAttachment {
  filename: string;
  content: Buffer | Readable;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
}

/** Sends one e-mail. Implementations: SMTP (`PUBLIWATT_SMTP_URL`) or the local outbox folder. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export interface MailerOptions {
  /** `smtp://host:port` or `smtps://user:pass@host`; absent → .eml files in `outboxDir`. */
  smtpUrl: string | undefined;
  outboxDir: string;
  from?: string;
}

export const DEFAULT_FROM = 'Publiwatt <no-reply@publiwatt.local>';

/**
 * Without an SMTP URL each message is built by nodemailer's stream transport and written to
 * `<outboxDir>/<time>-<uuid>.eml` (temporary name, then rename: a reader never sees half a message).
 */
export function createMailer(options: MailerOptions): Mailer {
  const from = options.from ?? DEFAULT_FROM;
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      async send(mail) {
        await transport.sendMail({ from, ...mail });
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: false, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, ...mail });
      const message = await buffer(info.message as Readable);
      await mkdir(options.outboxDir, { recursive: true });
      const name = `${Date.now().toString().padStart(14, '0')}-${randomUUID()}.eml`;
      const temp = path.join(options.outboxDir, `.${name}.part`);
      try {
        await writeFile(temp, message);
        await rename(temp, path.join(options.outboxDir, name));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}
