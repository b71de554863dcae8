import { Migrator, type Kysely, type Migration } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';

/** Applies the migrations up to (and including) `last`, as an older release would have. */
export async function migrateUpTo(handle: DatabaseHandle, last: string): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const [name, up] of MIGRATIONS)
    migrations[name] = { up: (db: Kysely<unknown>) => up(db, handle.engine) };
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  const { error } = await migrator.migrateTo(last);
  if (error) throw error;
}
