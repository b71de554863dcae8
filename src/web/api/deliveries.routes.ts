import { sirensInScope } from '../../auth/tenant-scope.js';
import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryListing } from '../../db/delivery.repository.js';
import { currentUser, requireOperator } from '../guards.js';
import { serviceActorOf } from '../service-actor-of.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, DeliveryAttemptFields, deliveryAttemptFields, IdParams } from './api-schemas.js';

const Instant = Type.String({ format: 'date-time' });
const NullableInstant = Type.Union([Instant, Type.Null()]);
const DeliveryStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('delivering'), Type.Literal('delivered'), Type.Literal('failed')],
  {
    description:
      'pending (waiting for its next attempt), delivering, delivered, failed (gave up after 72 h of retries)',
  },
);

const DeliveryView = Type.Object({
  id: Type.Integer(),
  publicationId: Type.Integer(),
  channel: Type.Object({
    id: Type.Integer(),
    label: Type.String(),
    kind: Type.Union([
      Type.Literal('email'),
      Type.Literal('sftp'),
      Type.Literal('ftps'),
      Type.Literal('ftp'),
    ]),
  }),
  resend: Type.Integer({ description: "0 for the publication's delivery, 1, 2, … for re-sends" }),
  requestedBy: Type.Union([Type.String(), Type.Null()], { description: 'who asked for a re-send' }),
  status: DeliveryStatus,
  ...DeliveryAttemptFields,
  deliveredAt: NullableInstant,
  keyVersion: Type.Union([Type.Integer(), Type.Null()], {
    description: 'version of the encryption key the file was encrypted with',
  }),
  receipt: Type.Union([
    Type.Object({
      location: Type.String({ description: 'remote path or e-mail address' }),
      size: Type.Integer(),
      attached: Type.Optional(Type.Boolean({ description: 'e-mail: false when a link was sent instead' })),
      alreadyPresent: Type.Optional(
        Type.Literal(true, {
          description: 'file servers: the file was already there from an earlier attempt, not sent again',
        }),
      ),
    }),
    Type.Null(),
  ]),
  createdAt: Instant,
});

const OperatorDeliveryView = Type.Composite([DeliveryView, Type.Object({ entrepriseId: Type.Integer() })]);

const Filters = {
  status: Type.Optional(DeliveryStatus),
  channelId: Type.Optional(Type.Integer({ minimum: 1 })),
  publicationId: Type.Optional(Type.Integer({ minimum: 1 })),
  retrying: Type.Optional(
    Type.Boolean({ description: 'true: only deliveries waiting for another attempt after a failure' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
};

function deliveryView(row: DeliveryListing): Static<typeof DeliveryView> {
  return {
    id: row.id,
    publicationId: row.publication_id,
    channel: { id: row.channel_id, label: row.channel_label, kind: row.channel_kind },
    resend: row.resend_seq,
    requestedBy: row.requested_by,
    status: row.status,
    ...deliveryAttemptFields(row),
    deliveredAt: row.delivered_at,
    keyVersion: row.key_version,
    receipt:
      row.receipt === null ? null : (JSON.parse(row.receipt) as Static<typeof DeliveryView>['receipt']),
    createdAt: row.created_at,
  };
}

/** Deliveries of publications to channels: the entreprise's (any habilitation), and every one for operators. */
export const deliveryRoutes: ApiRouteModule = (app, ctx) => {
  const deliveries = ctx.delivery.deliveries;

  app.get(
    '/deliveries',
    {
      schema: {
        tags: ['deliveries'],
        summary: "The entreprise's deliveries, newest first (e.g. `?status=failed`)",
        querystring: Type.Object(Filters),
        response: { 200: Type.Array(DeliveryView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const sirens = user.sirenPerimeter === null ? undefined : await sirensInScope(ctx.db, user);
      return (await deliveries.search(serviceActorOf(user), { ...request.query, sirens })).map(deliveryView);
    },
  );

  app.get(
    '/deliveries/:id',
    {
      schema: {
        tags: ['deliveries'],
        summary: 'One delivery: attempts, last error, next attempt and end of retries, key version, receipt',
        params: IdParams,
        response: { 200: DeliveryView, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const sirens = user.sirenPerimeter === null ? undefined : await sirensInScope(ctx.db, user);
      return deliveryView(await deliveries.get(serviceActorOf(user), request.params.id, sirens));
    },
  );

  app.get(
    '/operator/deliveries',
    {
      preHandler: requireOperator,
      schema: {
        tags: ['operator'],
        summary: "Every entreprise's deliveries, newest first (e.g. `?status=failed`)",
        querystring: Type.Object({ entrepriseId: Type.Optional(Type.Integer({ minimum: 1 })), ...Filters }),
        response: { 200: Type.Array(OperatorDeliveryView), ...AUTH_ERRORS },
      },
    },
    async (request) =>
      (await deliveries.searchAll(request.query)).map((row) => ({
        ...deliveryView(row),
        entrepriseId: row.entreprise_id,
      })),
  );
};
