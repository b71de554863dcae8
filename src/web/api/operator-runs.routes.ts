import { Type, type Static } from '@sinclair/typebox';
import type { OperatorRun } from '../../publication/operator-runs.service.js';
import { currentOperator, requireOperator } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from './api-schemas.js';

const RunView = Type.Object({
  id: Type.Integer(),
  subscriptionId: Type.Integer(),
  entrepriseId: Type.Union([Type.Integer(), Type.Null()]),
  siren: Type.Union([Type.String(), Type.Null()]),
  windowStart: Type.String({ format: 'date-time' }),
  windowEnd: Type.String({ format: 'date-time' }),
  rebuild: Type.Integer({ description: '0 for the scheduled run of the window, 1, 2, … for rebuilds' }),
  status: Type.String({ description: 'pending, running, done, empty or failed' }),
  numSequence: Type.Union([Type.Integer(), Type.Null()]),
  horodate: Type.String({ format: 'date-time', description: 'fixed at creation, kept by every retry' }),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when a pending run is tried again (null: at once, or never for a failed run)',
  }),
});

function runView({ run, entrepriseId, siren }: OperatorRun): Static<typeof RunView> {
  return {
    id: run.id,
    subscriptionId: run.subscriptionId,
    entrepriseId,
    siren,
    windowStart: run.windowStart.toISOString(),
    windowEnd: run.windowEnd.toISOString(),
    rebuild: run.rebuild,
    status: run.status,
    numSequence: run.numSequence,
    horodate: run.horodate.toISOString(),
    attempts: run.attempts,
    lastError: run.lastError,
    nextAttemptAt: run.status === 'pending' ? (run.leaseExpiresAt?.toISOString() ?? null) : null,
  };
}

/** Publication runs in trouble, for the distributor's operators: see them, run one again at once. */
export const operatorRunRoutes: ApiRouteModule = (app, ctx) => {
  app.get(
    '/operator/runs',
    {
      preHandler: requireOperator,
      schema: {
        tags: ['operator'],
        summary: 'Publication runs in trouble, oldest window first',
        description:
          '`failing`: not published after their fast attempts (about an hour), retried hourly with their ' +
          'original numSequence and horodate; `failed`: runs that can never succeed (given up).',
        querystring: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('failing'), Type.Literal('failed')])),
        }),
        response: { 200: Type.Array(RunView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      return (await ctx.operatorRuns.listInTrouble(request.query.status ?? 'failing')).map(runView);
    },
  );

  app.post(
    '/operator/runs/:id/retry',
    {
      preHandler: requireOperator,
      schema: {
        tags: ['operator'],
        summary: 'Run a pending or failed run now, with its original identity (numSequence, horodate)',
        params: IdParams,
        response: {
          200: Type.Object({
            outcome: Type.String({ description: 'done, retry (failed again), failed or lost' }),
            publicationId: Type.Union([Type.Integer(), Type.Null()]),
            error: Type.Union([Type.String(), Type.Null()]),
            run: RunView,
          }),
          409: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const { outcome, run } = await ctx.operatorRuns.retry(currentOperator(request), request.params.id);
      return {
        outcome: outcome.status,
        publicationId: outcome.publicationId ?? null,
        error: outcome.error ?? null,
        run: runView(run),
      };
    },
  );
};
