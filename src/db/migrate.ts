import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { AppError } from '../domain/app-error.js';
import type { DatabaseHandle } from './database.js';
import { MIGRATIONS } from './migrations/index.js';

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * Kysely takes no lock on SQLite and runs SQLite DDL outside a transaction, so two processes could both
 * see a migration pending and both run it ("table already exists"). An exclusive transaction on a side
 * file `<database>.migrate-lock` serialises them across processes; the OS drops it if a process dies.
 */
async function withSqliteMigrationLock<T>(handle: DatabaseHandle, run: () => Promise<T>): Promise<T> {
  if (handle.engine !== 'sqlite') return run();
  const list = await sql<{ name: string; file: string }>`pragma database_list`.execute(handle.db);
  const file = list.rows.find((row) => row.name === 'main')?.file;
  if (!file) return run(); // in-memory: private to this process
  const lock = new SqliteDatabase(`${file}.migrate-lock`, { timeout: 120_000 });
  try {
    lock.exec('begin exclusive'); // waits (synchronously, at start-up only) for another migrating process
    return await run();
  } finally {
    lock.close();
  }
}

/**
 * Applies every pending migration. Safe when several processes start at once: PostgreSQL serialises
 * them with Kysely's advisory lock; on SQLite an exclusive lock on a side file does, and a loser of a
 * write-lock race retries and then finds the migrations already applied.
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  return withSqliteMigrationLock(handle, () => migrateUnlocked(handle));
}

async function migrateUnlocked(handle: DatabaseHandle): Promise<string[]> {
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
