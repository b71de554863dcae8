import type { FastifyInstance } from 'fastify';
import { ping, type Db } from '../../db/database.js';

/** `GET /healthz`: 200 when the database answers, 503 otherwise. */
export function registerHealthRoute(app: FastifyInstance, deps: { db: Db; engine: string }): void {
  app.get('/healthz', async (_request, reply) => {
    try {
      await ping(deps.db);
      return { status: 'ok', database: { engine: deps.engine, reachable: true } };
    } catch (error) {
      app.log.warn({ err: error }, 'health check: database unreachable');
      return reply
        .code(503)
        .send({ status: 'degraded', database: { engine: deps.engine, reachable: false } });
    }
  });
}
