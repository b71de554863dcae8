import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { ping } from '../../src/db/database.js';
import {
  POSTGRES_ADMIN_URL,
  TEST_ENGINES,
  createTestDatabase,
  type TestDatabase,
} from '../support/databases.js';

/**
 * A connection the server closes while a transaction holds it (restart, failover, an administrator's
 * `pg_terminate_backend`, `idle_in_transaction_session_timeout`) fails that transaction and nothing
 * else: the process stays up and the next query gets a new connection.
 */
describe(
  'PostgreSQL connection lost under a transaction',
  { skip: !TEST_ENGINES.includes('postgres') },
  () => {
    let database: TestDatabase;
    let admin: pg.Client;

    before(async () => {
      database = await createTestDatabase('postgres');
      admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
    });
    after(async () => {
      await admin.end();
      await database.drop();
    });

    it('fails the transaction with an error, keeps the process up, and reconnects', async () => {
      const uncaught: unknown[] = [];
      const record = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', record);
      try {
        const outcome = await database.handle.db
          .transaction()
          .execute(async (trx) => {
            const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
            await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
            // The server's notice arrives while the client sits idle in the transaction.
            await new Promise((resolve) => setTimeout(resolve, 200));
            await sql`select 1`.execute(trx);
            return 'committed';
          })
          .catch((error: unknown) => error);
        assert.ok(outcome instanceof Error, `the transaction fails: ${String(outcome)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(uncaught, [], 'no unhandled error event');
        await ping(database.handle.db);
      } finally {
        process.off('uncaughtException', record);
      }
    });
  },
);
