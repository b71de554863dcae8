import { setTimeout as sleep } from 'node:timers/promises';
import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { AppError } from '../domain/app-error.js';
import type { DatabaseHandle } from './database.js';
import { MIGRATIONS } from './migrations/index.js';

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * Applies every pending migration. Safe when several processes start at once: PostgreSQL serialises
 * them with Kysely's advisory lock; on SQLite a loser of the write-lock race retries and then finds
 * the migrations already applied.
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const migrations: Record<string, Migration> = {};
  for (const [name, up] of MIGRATIONS) {
    migrations[name] = { up: (db: Kysely<unknown>) => up(db, handle.engine) };
  }
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  for (let attempt = 1; ; attempt++) {
    let result: MigrationResultSet;
    try {
      result = await migrator.migrateToLatest();
    } catch (error) {
      if (isBusy(error) && attempt < 50) {
        await sleep(100 + Math.random() * 200);
        continue;
      }
      throw error;
    }
    if (result.error) {
      if (isBusy(result.error) && attempt < 50) {
        await sleep(100 + Math.random() * 200);
        continue;
      }
      const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new AppError(
        'INTERNAL',
        `migration ${failed} failed: ${String(result.error)}`,
        {},
        { cause: result.error },
      );
    }
    return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
}
