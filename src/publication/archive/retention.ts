import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { PublicationRepository } from '../../db/publication.repository.js';
import { retentionCutoff } from '../../domain/archive-access.js';
import { ABANDONED_PART_AGE_MS, type ArchiveStorage } from './archive-storage.js';
import type { PublicationArchive } from './publication-archive.js';

export interface PurgeResult {
  publications: number;
  abandonedParts: number;
}

/**
 * Deletes archived files, and their archive and delivery rows, created more than four years ago —
 * and nothing else. The file goes first: if the process dies between the two, the next purge finds
 * the row again and finishes. Publication runs stay (they are the scheduler's memory of which windows
 * were done; without them old windows would be published again). Also removes temporary files that a
 * dead writer left behind (untouched for an hour).
 */
export async function purgeExpired(
  deps: { db: Db; clock: Clock; archive: PublicationArchive; storage: ArchiveStorage; logger?: Logger },
  options: {
    batch?: number;
    /** Aborted when the process stops: the purge ends after the publication in hand (the next one resumes). */
    stop?: AbortSignal;
  } = {},
): Promise<PurgeResult> {
  const now = deps.clock.now();
  const cutoff = retentionCutoff(now);
  const repository = new PublicationRepository(deps.db);
  let publications = 0;
  while (!options.stop?.aborted) {
    const expired = await repository.listCreatedBefore(cutoff, options.batch ?? 200);
    if (expired.length === 0) break;
    for (const publication of expired) {
      if (options.stop?.aborted) break;
      await deps.archive.delete(publication.storageKey);
      await deps.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('delivery').where('publication_id', '=', publication.id).execute();
        await new PublicationRepository(trx).delete(publication.id);
      });
      publications++;
    }
  }
  const abandonedParts = await deps.storage.removeAbandonedParts(
    new Date(now.getTime() - ABANDONED_PART_AGE_MS),
  );
  deps.logger?.info({ publications, abandonedParts, cutoff: cutoff.toISOString() }, 'retention purge done');
  return { publications, abandonedParts };
}
