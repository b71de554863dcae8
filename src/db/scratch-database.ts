import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle, type Engine } from './database.js';

/**
 * A database to throw away (benchmarks): a SQLite file in `workDir`, or a new database on the
 * PostgreSQL server of `postgresUrl`; `drop` closes and removes it.
 */
export async function scratchDatabase(engine: Engine, workDir: string, postgresUrl: string) {
  if (engine === 'sqlite') {
    const handle = openDatabase({ engine: 'sqlite', file: path.join(workDir, 'bench.db') });
    return { handle, drop: () => handle.destroy() };
  }
  const name = `publiwatt_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const handle: DatabaseHandle = openDatabase({ engine: 'postgres', url: url.toString() });
  return {
    handle,
    drop: async () => {
      await handle.destroy();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
