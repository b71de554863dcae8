import path from 'node:path';
import type { Logger } from 'pino';
import { ABANDONED_OUTBOX_PART_AGE_MS, removeAbandonedOutboxParts } from '../notification/outbox.mailer.js';
import { ABANDONED_PART_AGE_MS, LocalArchiveStorage } from '../publication/archive/archive-storage.js';

/**
 * At the start of `serve` and `worker`: removes the temporary files that processes which died left in
 * the data directory, archive `.part` files and outbox `.eml.part` files. Other processes may be writing
 * right now, so only files untouched for longer than any live writer pauses are removed (an hour in the
 * archive, ten minutes in the outbox); a crashed run's file is also removed when the run is redone.
 * Never fails the start: what it cannot remove stays for the next start or the daily purge.
 */
export async function removeAbandonedTemporaryFiles(input: {
  dataDir: string;
  now: Date;
  logger: Pick<Logger, 'info' | 'warn'>;
}): Promise<{ archiveParts: number; outboxParts: number }> {
  const { dataDir, now, logger } = input;
  const result = { archiveParts: 0, outboxParts: 0 };
  try {
    result.archiveParts = await new LocalArchiveStorage(path.join(dataDir, 'archive')).removeAbandonedParts(
      new Date(now.getTime() - ABANDONED_PART_AGE_MS),
    );
    result.outboxParts = await removeAbandonedOutboxParts(
      path.join(dataDir, 'outbox'),
      new Date(now.getTime() - ABANDONED_OUTBOX_PART_AGE_MS),
    );
  } catch (error) {
    logger.warn({ err: error }, 'abandoned temporary files not all removed');
  }
  if (result.archiveParts + result.outboxParts > 0) logger.info(result, 'abandoned temporary files removed');
  return result;
}
