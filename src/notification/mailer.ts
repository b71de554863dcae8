import type { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import type { Clock } from '../clock.js';
import { MAIL_FROM, OutboxMailer } from './outbox.mailer.js';

export interface MailAttachment {
  filename: string;
  content: Buffer | string | Readable;
  contentType?: string;
}

export interface Mail {
  to: string | string[];
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
  clock: Clock;
  from?: string;
}

/** SMTP through nodemailer. */
export class SmtpMailer implements Mailer {
  private readonly transport;

  constructor(
    url: string,
    private readonly from = MAIL_FROM,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(mail: Mail): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...mail });
  }
}

/** The configured mailer: SMTP when an URL is given, else the outbox folder. */
export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl
    ? new SmtpMailer(options.smtpUrl, options.from)
    : new OutboxMailer(options.outboxDir, options.clock);
}
