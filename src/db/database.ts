import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseUrl } from '../config.js';
import type { Schema } from './schema.js';

export type Engine = 'sqlite' | 'postgres';
export type Db = Kysely<Schema>;

/** An open database: the query builder plus the engine, for the few places whose SQL differs. */
export interface DatabaseHandle {
  db: Db;
  engine: Engine;
  /** Where it was opened from: another thread opens the same database with it. */
  url: DatabaseUrl;
  destroy(): Promise<void>;
}

// COUNT(*) and BIGINT columns come back as strings by default; every count here fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export function openDatabase(url: DatabaseUrl, options: { poolSize?: number } = {}): DatabaseHandle {
  if (url.engine === 'sqlite') {
    if (url.file !== ':memory:') {
      mkdirSync(path.dirname(url.file), { recursive: true, mode: 0o700 });
      // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
      closeSync(openSync(url.file, 'a', 0o600));
    }
    const sqlite = new SqliteDatabase(url.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 15000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, engine: 'sqlite', url, destroy: () => db.destroy() };
  }
  const pool = new pg.Pool({ connectionString: url.url, max: options.poolSize ?? 10 });
  // An idle connection closed by the server (restart, admin command) must not crash the process:
  // the pool drops it and opens a new one on the next query.
  pool.on('error', (error) => process.emitWarning(`PostgreSQL idle connection lost: ${error.message}`));
  // A connection lost while checked out (a transaction holds it, a cursor reads) emits its error on the
  // client, which pg-pool only watches while idle: without a listener that event kills the process. The
  // query in flight, or the next one, fails instead; released, the broken client leaves the pool.
  pool.on('connect', (client) => {
    client.on('error', (error) => process.emitWarning(`PostgreSQL connection lost: ${error.message}`));
  });
  // Clients checked out now: `pool.end()` waits for each to come back.
  const checkedOut = new Set<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: 'postgres',
    url,
    async destroy() {
      const ending = db.destroy();
      // Closing comes after every user has stopped: a client still out was lost by a path that never
      // gave it back (seen after connection losses). Waiting for it would never end, and with nothing
      // else left to do the process would exit with an unsettled promise (code 13) instead of 0.
      if (checkedOut.size > 0) {
        process.emitWarning(
          `PostgreSQL: ${checkedOut.size} connection(s) never given back; closed at shutdown`,
        );
        for (const client of checkedOut) client.release(true);
      }
      await ending;
    },
  };
}

/** Cheap round trip used by `/healthz`. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/**
 * The engine behind a query builder (the database, a transaction, or either with plugins), from the
 * placeholder its dialect compiles (`$1` on PostgreSQL, `?` on SQLite): repositories take a `Db` only
 * and never need to be told, or to guess.
 */
export function engineOf(db: Db): Engine {
  return sql`${0}`.compile(db).sql.startsWith('$') ? 'postgres' : 'sqlite';
}

/** The engine a name designates, or undefined (command-line options, test settings). */
export function engineNamed(name: string): Engine | undefined {
  return name === 'sqlite' || name === 'postgres' ? name : undefined;
}

/**
 * Whether several processes can share the work on this database: PostgreSQL has row locks and
 * concurrent writers; SQLite has one writer for the whole file.
 */
export function allowsSeveralWorkers(url: DatabaseUrl): boolean {
  return url.engine === 'postgres';
}

/** Whether the database lives in this process only (SQLite `:memory:`): no other thread can open it. */
export function isProcessLocal(url: DatabaseUrl): boolean {
  return url.engine === 'sqlite' && url.file === ':memory:';
}

/** Refreshes the planner's statistics (`ANALYZE`, on both engines) after a bulk load. */
export async function refreshStatistics(db: Db): Promise<void> {
  await sql`analyze`.execute(db);
}
