import { Type } from '@sinclair/typebox';
import { requireSirenInScope, sirensInScope } from '../../auth/tenant-scope.js';
import { localDayOf } from '../../domain/paris-calendar.js';
import { SubscriptionService, type Grid } from '../../subscriptions/subscription.service.js';
import { parisDateTimeOf } from '../../domain/french-dates.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from './api-schemas.js';

const Category = Type.Union([Type.Literal('A'), Type.Literal('B')], {
  description: 'A = more than 36 kVA, B = 36 kVA or less',
});
const DataType = Type.Union([Type.Literal('INDEX'), Type.Literal('CDC_BRUTE'), Type.Literal('CDC_CORRIGEE')]);
const Frequency = Type.Union([Type.Literal('Q'), Type.Literal('H'), Type.Literal('M')]);
const Format = Type.Union([Type.Literal('CSV'), Type.Literal('JSON')]);
const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const GridParams = Type.Object({ siren: Type.String({ pattern: '^\\d{9}$' }), category: Category });

const GridView = Type.Object({
  siren: Type.String(),
  category: Category,
  prmCount: Type.Integer({ description: 'PRMs attached today; above 100 only JSON is allowed' }),
  csvAllowed: Type.Boolean(),
  lines: Type.Array(
    Type.Object({
      dataType: DataType,
      frequency: Frequency,
      dataTypeLabel: Type.String(),
      frequencyLabel: Type.String(),
      codeFlux: Type.String(),
      etapeMetier: Type.String(),
      subscribed: Type.Boolean(),
      subscriptionId: Type.Union([Type.Integer(), Type.Null()]),
      idDemande: Type.Union([Type.String(), Type.Null()]),
      format: Type.Union([Format, Type.Null()]),
      status: Type.Union([
        Type.Literal('NOT_SUBSCRIBED'),
        Type.Literal('PENDING'),
        Type.Literal('EFFECTIVE'),
        Type.Literal('ENDED'),
      ]),
      statusLabel: Type.String({
        description: 'French, e.g. "En cours de prise en compte — effective le …"',
      }),
      requestedAt: Instant,
      effectiveAt: Instant,
      channels: Type.Array(Type.Object({ id: Type.Integer(), label: Type.String() })),
    }),
  ),
});

/** The grid's status column, as the portal shows it. */
function statusLabel(line: Grid['lines'][number]): string {
  if (line.status === 'PENDING' && line.effectiveAt) {
    return `En cours de prise en compte — effective le ${parisDateTimeOf(line.effectiveAt.toISOString())}`;
  }
  return line.status === 'EFFECTIVE' ? 'Effectif' : line.status === 'ENDED' ? 'Résilié' : 'Non souscrit';
}

function gridView(grid: Grid) {
  return {
    ...grid,
    lines: grid.lines.map((line) => ({
      ...line,
      statusLabel: statusLabel(line),
      requestedAt: line.requestedAt?.toISOString() ?? null,
      effectiveAt: line.effectiveAt?.toISOString() ?? null,
    })),
  };
}

const SubscriptionView = Type.Object({
  id: Type.Integer(),
  siren: Type.String(),
  category: Category,
  dataType: DataType,
  frequency: Frequency,
  format: Format,
  idDemande: Type.String(),
  requestedAt: Type.String({ format: 'date-time' }),
  effectiveAt: Type.String({ format: 'date-time' }),
  endedAt: Instant,
  formatHistory: Type.Array(
    Type.Object({ format: Format, from: Type.String({ format: 'date-time' }), cause: Type.String() }),
  ),
});

/** SIRENs, subscription grids (read: any habilitation; edit: GESTION_SERVICES_DONNEES). */
export const subscriptionRoutes: ApiRouteModule = (app, ctx) => {
  const service = new SubscriptionService(ctx.db, { channels: ctx.subscriptionChannels });

  app.get(
    '/sirens',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'SIRENs I see, with their PRM counts per category today',
        response: {
          200: Type.Array(
            Type.Object({ siren: Type.String(), prmCountA: Type.Integer(), prmCountB: Type.Integer() }),
          ),
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const day = localDayOf(ctx.clock.now());
      return ctx.prms.countsOn(await sirensInScope(ctx.db, user), day);
    },
  );

  app.get(
    '/sirens/:siren/subscriptions/:category',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'The subscription grid of a SIREN and category',
        params: GridParams,
        response: { 200: GridView, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      await requireSirenInScope(ctx.db, user, request.params.siren);
      return gridView(await service.readGrid(request.params.siren, request.params.category, ctx.clock.now()));
    },
  );

  app.put(
    '/sirens/:siren/subscriptions/:category',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Save an edited grid, all or nothing ("Enregistrer les modifications")',
        description:
          'Each line subscribes (effective 72 h later), unsubscribes (at once) or changes the format ' +
          '(from the next window). Lines left out are unchanged. One invalid line rejects the whole grid; ' +
          'the error message names the line (1-based).',
        params: GridParams,
        body: Type.Object({
          lines: Type.Array(
            Type.Object({
              dataType: DataType,
              frequency: Frequency,
              subscribed: Type.Boolean(),
              format: Type.Optional(Format),
            }),
            { maxItems: 50 },
          ),
        }),
        response: { 200: GridView, 400: ErrorBody, 422: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      await requireSirenInScope(ctx.db, user, request.params.siren);
      currentUser(request, 'GESTION_SERVICES_DONNEES');
      const now = ctx.clock.now();
      await service.applyGrid(
        { entrepriseId: user.entrepriseId, siren: request.params.siren, category: request.params.category },
        request.body.lines,
        { type: 'user', id: String(user.id), label: user.email },
        now,
      );
      return gridView(await service.readGrid(request.params.siren, request.params.category, now));
    },
  );

  app.get(
    '/subscriptions/:id',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'One subscription (live or ended) with its format history',
        params: IdParams,
        response: { 200: SubscriptionView, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const subscription = await ctx.subscriptions.findVisible(user, request.params.id);
      const history = await ctx.subscriptions.formatHistory(subscription.id);
      return {
        id: subscription.id,
        siren: subscription.siren,
        category: subscription.category,
        dataType: subscription.dataType,
        frequency: subscription.frequency,
        format: subscription.format,
        idDemande: subscription.idDemande,
        requestedAt: subscription.requestedAt.toISOString(),
        effectiveAt: subscription.effectiveAt.toISOString(),
        endedAt: subscription.endedAt?.toISOString() ?? null,
        formatHistory: history.map((h) => ({ format: h.format, from: h.from.toISOString(), cause: h.cause })),
      };
    },
  );
};
