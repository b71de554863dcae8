import type { Logger } from 'pino';
import type { Notifier, NotifierMessage } from './notifier.js';

/** Writes notices to the log; the default until managers are e-mailed. */
export class LoggingNotifier implements Notifier {
  constructor(private readonly logger: Pick<Logger, 'info'>) {}

  notify(message: NotifierMessage): Promise<void> {
    this.logger.info(
      { notice: message },
      `notice for entreprise ${message.entrepriseId}: ${message.subject}`,
    );
    return Promise.resolve();
  }
}
