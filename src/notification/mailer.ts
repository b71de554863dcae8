export interface MailAttachment {
  filename: string;
  content: Buffer | string;
  contentType?: string;
}

export interface Mail {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
}

/** Sends one e-mail. Implementations: the outbox folder (embedded default), SMTP. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
}
