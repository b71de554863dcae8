import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { AppError, ERROR_STATUS, toAppError } from '../domain/app-error.js';
import { frenchMessage } from './error-messages.js';
import { registerHealthRoute } from './routes/health.route.js';

export interface ServerDeps {
  config: Config;
  database: DatabaseHandle;
  clock: Clock;
  logger: Logger;
}

/** Builds the HTTP server (portal, API, health). Listening is the caller's business. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, trustProxy: true });

  app.setErrorHandler((error, request, reply) => {
    const appError =
      error instanceof AppError
        ? error
        : (error as { validation?: unknown }).validation
          ? new AppError('INVALID_INPUT', (error as Error).message)
          : toAppError(error);
    const status = ERROR_STATUS[appError.code];
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ code: appError.code, message: frenchMessage(appError) });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .send({ code: 'NOT_FOUND', message: frenchMessage(new AppError('NOT_FOUND', 'not found')) }),
  );

  registerHealthRoute(app, { db: deps.database.db, engine: deps.database.engine });
  return app;
}
