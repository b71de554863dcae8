import type { Db } from '../db/database.js';
import { UserRepository } from '../db/user.repository.js';
import type { Mailer } from './mailer.js';

/** A message for the data managers of an entreprise (French subject and text). */
export interface NotifierMessage {
  entrepriseId: number;
  /** Stable machine-readable kind, e.g. `FORMAT_SWITCHED_TO_JSON`, `DELIVERY_FAILED`. */
  kind: string;
  subject: string;
  /** French text, sent as is. */
  text: string;
}

/** Tells an entreprise's data managers about something that happened to their services. */
export interface Notifier {
  notify(message: NotifierMessage): Promise<void>;
}

/**
 * Mails every active user of the entreprise holding GESTION_SERVICES_DONNEES, through the same
 * SMTP/outbox path as everything else. An entreprise without such a user is notified of nothing
 * (the event stays in the audit log and the portal).
 */
export class MailNotifier implements Notifier {
  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
  ) {}

  async notify(message: NotifierMessage): Promise<void> {
    const users = await new UserRepository(this.db).listByEntreprise(message.entrepriseId);
    const recipients = users.filter((u) => u.active && u.habilitations.includes('GESTION_SERVICES_DONNEES'));
    for (const user of recipients) {
      await this.mailer.send({
        to: user.email,
        subject: `[Publiwatt] ${message.subject}`,
        text: `Bonjour ${user.displayName},\n\n${message.text}\n\n— Publiwatt (message automatique, merci de ne pas répondre)\n`,
      });
    }
  }
}
