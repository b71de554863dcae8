import { Type } from '@sinclair/typebox';
import { AppError } from '../../domain/app-error.js';
import { EntrepriseRepository } from '../../db/entreprise.repository.js';
import { importRegistryCsv } from '../../registry/registry-import.js';
import { enforceJsonAboveLimit } from '../../subscriptions/json-above-limit.js';
import { currentOperator, requireOperator } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody } from './api-schemas.js';

/** Routes of the distributor's operators (tokens from `publiwatt create-operator`). */
export const operatorRoutes: ApiRouteModule = (app, ctx) => {
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 50 * 1024 * 1024 },
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
    async () => {
      const entreprises = new EntrepriseRepository(ctx.db);
      const result = [];
      for (const e of await entreprises.list()) {
        result.push({ id: e.id, name: e.name, sirens: await entreprises.sirensOf(e.id) });
      }
      return result;
    },
  );

  app.post(
    '/registry',
    {
      preHandler: requireOperator,
      schema: {
        tags: ['operator'],
        summary: 'Import a registry CSV (text/csv body), all or nothing; then apply the 100-PRM JSON rule',
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
          400: ErrorBody,
          415: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const operator = currentOperator(request);
      if (typeof request.body !== 'string') {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the registry as text/csv', {
          expected: 'text/csv',
        });
      }
      const now = ctx.clock.now();
      const result = await importRegistryCsv(ctx.db, request.body, {
        source: 'registry.csv',
        now,
        actor: { type: 'operator', id: String(operator.id), label: operator.email },
      });
      const switched = await enforceJsonAboveLimit(ctx.db, { now, notifier: ctx.notifier });
      return { ...result, subscriptionsSwitchedToJson: switched.length };
    },
  );
};
