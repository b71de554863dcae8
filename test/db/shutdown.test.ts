import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { parseDatabaseUrl } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { describeEachEngine } from '../support/databases.js';

describeEachEngine('closing the database', (ctx) => {
  it('ends even when a connection was never given back', async () => {
    const handle = openDatabase(parseDatabaseUrl(ctx.url));
    // A transaction left open, as a path that loses its connection without releasing it leaves one.
    if (ctx.engine === 'postgres') await handle.db.startTransaction().execute();
    const closed = await Promise.race([handle.destroy().then(() => 'closed'), sleep(5000, 'still waiting')]);
    assert.equal(closed, 'closed');
  });
});
