import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { engineOf } from '../../src/db/database.js';
import { describeEachEngine } from '../support/databases.js';

describeEachEngine('the engine behind a query builder', (ctx) => {
  it('is the database engine, for the database, a transaction and a builder with plugins', async () => {
    const { db } = ctx.handle;
    assert.equal(engineOf(db), ctx.engine);
    const plugin: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => args.result,
    };
    assert.equal(engineOf(db.withPlugin(plugin)), ctx.engine);
    await db.transaction().execute(async (trx) => {
      assert.equal(engineOf(trx), ctx.engine);
    });
  });
});
