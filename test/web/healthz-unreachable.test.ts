import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { openDatabase } from '../../src/db/database.js';
import { registerHealthRoute } from '../../src/web/routes/health.route.js';

describe('/healthz', () => {
  it('answers 503 while the database cannot be reached', async () => {
    // Port 1 of the loopback address: the connection is refused at once.
    const database = openDatabase({ engine: 'postgres', url: 'postgres://publiwatt@127.0.0.1:1/nowhere' });
    const app = Fastify({ logger: false });
    registerHealthRoute(app, { db: database.db, engine: database.engine });
    try {
      const response = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), {
        status: 'degraded',
        database: { engine: 'postgres', reachable: false },
      });
    } finally {
      await app.close();
      await database.destroy();
    }
  });
});
