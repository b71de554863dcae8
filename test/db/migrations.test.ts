import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../support/databases.js';
import { cliEnv, runCli } from '../support/cli.js';

for (const engine of TEST_ENGINES) {
  describe(`migrations [${engine}]`, () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const database of databases) await database.drop();
    });

    it('apply every numbered migration once, then nothing', async () => {
      const database = await createTestDatabase(engine, { migrate: false });
      databases.push(database);
      const applied = await migrateToLatest(database.handle);
      assert.deepEqual(
        applied,
        MIGRATIONS.map(([name]) => name),
      );
      assert.deepEqual(await migrateToLatest(database.handle), []);
    });

    it('are safe when several processes migrate the same fresh database at once', async () => {
      const database = await createTestDatabase(engine, { migrate: false });
      databases.push(database);
      const env = cliEnv({ PUBLIWATT_DATABASE_URL: database.url });
      const results = await Promise.all([1, 2, 3].map(() => runCli(['migrate'], env)));
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const appliedBy = results.filter((r) => /applied 0001/.test(r.stdout)).length;
      assert.equal(appliedBy, 1, results.map((r) => r.stdout).join(' | '));
      const rows = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(
        database.handle.db,
      );
      assert.equal(Number(rows.rows[0]!.n), MIGRATIONS.length);
    });
  });
}
