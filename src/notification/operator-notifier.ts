import type { Db } from '../db/database.js';
import type { Mailer } from './mailer.js';

/** A message for the platform's operators (French subject and text). */
export interface OperatorMessage {
  /** Stable machine-readable kind, e.g. `PUBLICATION_RUN_FAILING`. */
  kind: string;
  subject: string;
  /** French text, sent as is. */
  text: string;
}

/** Tells the distributor's operators about something that needs them. */
export interface OperatorNotifier {
  notify(message: OperatorMessage): Promise<void>;
}

/**
 * Mails every active operator (the `operator` table, accounts made by `create-operator`), one e-mail
 * each, through the process's mailer (SMTP or outbox). Returns once every mail was handed over; the
 * first failure is thrown after the others were tried.
 */
export class MailOperatorNotifier implements OperatorNotifier {
  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
  ) {}

  async notify(message: OperatorMessage): Promise<void> {
    const operators = await this.db
      .selectFrom('operator')
      .select('email')
      .where('active', '=', 1)
      .orderBy('id')
      .execute();
    let failure: unknown;
    for (const { email } of operators) {
      try {
        await this.mailer.send({
          to: email,
          subject: `[Publiwatt] ${message.subject}`,
          text: `Bonjour,\n\n${message.text}\n\n— Publiwatt (message automatique, merci de ne pas répondre)\n`,
        });
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
