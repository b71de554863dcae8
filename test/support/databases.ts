import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { openDatabase, type DatabaseHandle, type Engine } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** Server used for PostgreSQL tests; each test file gets its own database on it. */
export const POSTGRES_ADMIN_URL =
  process.env.PUBLIWATT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Engines the suite runs on: both by default; `PUBLIWATT_TEST_ENGINES=sqlite` narrows it locally. */
export const TEST_ENGINES: Engine[] = (process.env.PUBLIWATT_TEST_ENGINES ?? 'sqlite,postgres')
  .split(',')
  .map((e) => e.trim())
  .map((e) => {
    // A typo must not silently remove every engine suite.
    if (e !== 'sqlite' && e !== 'postgres') throw new Error(`PUBLIWATT_TEST_ENGINES: unknown engine "${e}"`);
    return e;
  });

export interface TestDatabase {
  handle: DatabaseHandle;
  /** URL to give a child process (CLI tests) so it opens the same database. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated, empty database on the engine: a new SQLite file, or `CREATE DATABASE` on PostgreSQL. */
export async function createTestDatabase(
  engine: Engine,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `publiwatt_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let handle: DatabaseHandle;
  let url: string;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-test-'));
    const file = path.join(dir, `${name}.db`);
    url = `sqlite:${file}`;
    handle = openDatabase({ engine: 'sqlite', file });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const target = new URL(POSTGRES_ADMIN_URL);
    target.pathname = `/${name}`;
    url = target.toString();
    handle = openDatabase({ engine: 'postgres', url });
    cleanup = async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    };
  }
  if (options.migrate !== false) await migrateToLatest(handle);
  return {
    handle,
    url,
    drop: async () => {
      await handle.destroy();
      await cleanup();
    },
  };
}

/**
 * Runs a suite once per engine, each with its own fresh database (kysely-style "one suite, every
 * engine"). The suite reads `ctx.db` inside its tests.
 */
export function describeEachEngine(
  title: string,
  suite: (ctx: { readonly engine: Engine; readonly handle: DatabaseHandle; readonly url: string }) => void,
): void {
  for (const engine of TEST_ENGINES) {
    void describe(`${title} [${engine}]`, () => {
      let database: TestDatabase | undefined;
      before(async () => {
        database = await createTestDatabase(engine);
      });
      suite({
        engine,
        get handle() {
          if (!database) throw new Error('database not ready: use ctx.handle inside a test or hook');
          return database.handle;
        },
        get url() {
          if (!database) throw new Error('database not ready');
          return database.url;
        },
      });
      // Registered after the suite's own hooks, so it runs after them (servers closed first).
      after(async () => {
        await database?.drop();
      });
    });
  }
}
