import { Type } from '@sinclair/typebox';
import { AppError } from '../../domain/app-error.js';
import { RegistryImportRejected } from '../../registry/registry-import.js';
import { enforceJsonAboveLimit } from '../../subscriptions/json-above-limit.js';
import { frenchMessage } from '../error-messages.js';
import { currentOperator, requireOperator } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody } from './api-schemas.js';

/** Largest registry CSV `POST /registry` accepts, in bytes. */
const REGISTRY_BODY_LIMIT = 50 * 1024 * 1024;

/** Rejected lines listed in a 400 answer; the CLI prints them all. */
const REJECTED_LINES_SHOWN = 1000;

const RegistryRejectedBody = Type.Object({
  code: Type.Literal('REGISTRY_IMPORT_REJECTED'),
  message: Type.String({ description: 'French' }),
  errors: Type.Array(
    Type.Object({
      line: Type.Integer({ description: 'line of the file, the header being line 1' }),
      reason: Type.String({ description: 'the rule the line breaks (English, as the CLI prints it)' }),
    }),
    {
      description: `each rejected line in line order, the first ${REJECTED_LINES_SHOWN}; a line breaking several rules is listed once per rule`,
    },
  ),
  truncated: Type.Integer({ description: 'rejections left out of `errors` (0 when it lists them all)' }),
});

/** Routes of the distributor's operators (tokens from `publiwatt create-operator`). */
export const operatorRoutes: ApiRouteModule = (app, ctx) => {
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: REGISTRY_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.get(
    '/operator/entreprises',
    {
      preHandler: requireOperator,
      schema: {
        tags: ['operator'],
        summary: 'Every entreprise and its SIRENs',
        response: {
          200: Type.Array(
            Type.Object({ id: Type.Integer(), name: Type.String(), sirens: Type.Array(Type.String()) }),
          ),
          ...AUTH_ERRORS,
        },
      },
    },
    () => ctx.entreprises.listWithSirens(),
  );

  app.post(
    '/registry',
    {
      preHandler: requireOperator,
      schema: {
        tags: ['operator'],
        summary: 'Import a registry CSV (text/csv body), all or nothing; then apply the 100-PRM JSON rule',
        description:
          'The body is the registry file (layout in docs/registry-import.md), at most 50 MB. A file breaking ' +
          'any rule is rejected whole (400 `REGISTRY_IMPORT_REJECTED`) with the line and the rule of each ' +
          'rejection; a larger body answers 413 `UPLOAD_TOO_LARGE`.',
        response: {
          200: Type.Object({
            entreprisesCreated: Type.Integer(),
            sirensCreated: Type.Integer(),
            prmsCreated: Type.Integer(),
            prmsUpdated: Type.Integer(),
            attachmentsCreated: Type.Integer(),
            attachmentsUpdated: Type.Integer(),
            collectionPeriodsCreated: Type.Integer(),
            linesUnchanged: Type.Integer(),
            subscriptionsSwitchedToJson: Type.Integer(),
          }),
          400: Type.Union([RegistryRejectedBody, ErrorBody]),
          413: ErrorBody,
          415: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
      errorHandler: (error) => {
        // Fastify refuses an oversized body before the route runs (and closes the connection); its
        // error has status 413 but no code of ours. Anything else goes to the server's handler as is.
        if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
        throw new AppError('UPLOAD_TOO_LARGE', error.message, { limit: REGISTRY_BODY_LIMIT });
      },
    },
    async (request, reply) => {
      const operator = currentOperator(request);
      if (typeof request.body !== 'string') {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the registry as text/csv', {
          expected: 'text/csv',
        });
      }
      const now = ctx.clock.now();
      let result;
      try {
        result = await ctx.imports.registry(request.body, {
          source: 'registry.csv',
          now,
          actor: { type: 'operator', id: String(operator.id), label: operator.email },
        });
      } catch (error) {
        if (!(error instanceof RegistryImportRejected)) throw error;
        return reply.code(400).send({
          code: 'REGISTRY_IMPORT_REJECTED' as const,
          message: frenchMessage(error),
          errors: error.lineErrors.slice(0, REJECTED_LINES_SHOWN),
          truncated: Math.max(0, error.lineErrors.length - REJECTED_LINES_SHOWN),
        });
      }
      const switched = await enforceJsonAboveLimit(ctx.db, { now, notifier: ctx.notifier });
      return { ...result, subscriptionsSwitchedToJson: switched.length };
    },
  );
};
