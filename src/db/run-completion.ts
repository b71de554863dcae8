import type { ControlledTransaction } from 'kysely';
import type { Db, Engine } from './database.js';
import { PublicationRepository } from './publication.repository.js';
import type { Schema } from './schema.js';

export type CoveredPrm = { prm: string; contractNumber: string };

/** The PRMs a file covers, in file order, on their way to the archive row's list. */
export interface PrmList {
  add(entry: CoveredPrm): void;
  readonly count: number;
}

/**
 * Writes, in one transaction, what completes a run: the run marked done (if this worker still holds
 * its lease), the archive row with the given id (or a new one) and its PRM list (the part not written
 * yet), the delivery rows. Undefined when the lease was lost: then nothing is kept.
 */
export type CompleteRun = (
  trx: Db,
  publicationId: number | undefined,
  prms: CoveredPrm[],
) => Promise<number | undefined>;

/** The transaction that completes a run, and the file's PRM list on its way to it. */
export interface RunCompletion extends PrmList {
  commit(complete: CompleteRun): Promise<number | undefined>;
  /** Drops what was written so far; nothing of the run is kept. Safe to call more than once. */
  abort(): Promise<void>;
}

/**
 * SQLite has one writer for the whole database: the transaction opens only once the file is archived,
 * and the list, kept in memory until then (a few bytes a PRM), goes in with one statement.
 */
class DeferredCompletion implements RunCompletion {
  private readonly prms: CoveredPrm[] = [];

  constructor(private readonly db: Db) {}

  get count(): number {
    return this.prms.length;
  }

  add(entry: CoveredPrm): void {
    this.prms.push(entry);
  }

  commit(complete: CompleteRun): Promise<number | undefined> {
    return this.db.transaction().execute((trx) => complete(trx, undefined, this.prms));
  }

  abort(): Promise<void> {
    return Promise.resolve();
  }
}

/** PRMs per insert of a streamed list. */
const PRM_BATCH = 2000;

/**
 * On PostgreSQL the transaction opens when the run starts, with the publication's id reserved, and the
 * list goes in by batches while the file is written: the index inserts of a 10 000-PRM list (~80 ms)
 * overlap the writing instead of delaying the end of the run. Uncommitted, none of it is seen; a
 * worker that dies loses its connection and the server rolls it all back.
 */
class StreamedCompletion implements RunCompletion {
  count = 0;
  private batch: CoveredPrm[] = [];
  private written: Promise<void> = Promise.resolve();
  private open = true;

  private constructor(
    private readonly trx: ControlledTransaction<Schema>,
    private readonly publicationId: number,
  ) {}

  static async start(db: Db): Promise<StreamedCompletion> {
    const trx = await db.startTransaction().execute();
    try {
      return new StreamedCompletion(trx, await new PublicationRepository(trx).reserveId());
    } catch (error) {
      await trx.rollback().execute();
      throw error;
    }
  }

  add(entry: CoveredPrm): void {
    this.count++;
    this.batch.push(entry);
    if (this.batch.length >= PRM_BATCH) this.flush();
  }

  private flush(): void {
    const rows = this.batch;
    if (rows.length === 0) return;
    this.batch = [];
    this.written = this.written.then(() =>
      new PublicationRepository(this.trx).insertPrms(this.publicationId, rows),
    );
    // A failed insert is reported by `commit`; until then the chain must not count as unhandled.
    this.written.catch(() => undefined);
  }

  async commit(complete: CompleteRun): Promise<number | undefined> {
    try {
      this.flush();
      await this.written;
      const publicationId = await complete(this.trx, this.publicationId, []);
      if (publicationId === undefined) {
        await this.abort();
        return undefined;
      }
      this.open = false;
      await this.trx.commit().execute();
      return publicationId;
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  async abort(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.written.catch(() => undefined);
    // A rollback can fail only with the connection, and then the server rolls the transaction back.
    await this.trx
      .rollback()
      .execute()
      .catch(() => undefined);
  }
}

/**
 * The transaction strategy that completes a publication run on this engine: streamed on PostgreSQL
 * (concurrent writers), deferred to the end on SQLite (one writer for the whole database).
 */
export async function startRunCompletion(db: Db, engine: Engine): Promise<RunCompletion> {
  return engine === 'postgres' ? StreamedCompletion.start(db) : new DeferredCompletion(db);
}
