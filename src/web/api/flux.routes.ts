import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryRow } from '../../db/delivery.repository.js';
import type { PublicationRecord } from '../../db/publication.repository.js';
import type { UserRecord } from '../../db/user.repository.js';
import { AppError } from '../../domain/app-error.js';
import { parseWindowStart } from '../../domain/publication-windows.js';
import type { ServiceActor } from '../../domain/service-actor.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import {
  AUTH_ERRORS,
  DeliveryAttemptFields,
  deliveryAttemptFields,
  ErrorBody,
  IdParams,
} from './api-schemas.js';

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Paris local day YYYY-MM-DD' });

const DeliveryView = Type.Object({
  id: Type.Integer(),
  channelId: Type.Integer(),
  status: Type.String({ description: 'pending, delivering, delivered or failed' }),
  ...DeliveryAttemptFields,
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  keyVersion: Type.Union([Type.Integer(), Type.Null()]),
  resend: Type.Boolean(),
});

const FluxView = Type.Object({
  id: Type.Integer(),
  siren: Type.String(),
  codeFlux: Type.String(),
  dataType: Type.String(),
  frequency: Type.String(),
  format: Type.String(),
  category: Type.String(),
  windowStart: Type.String({ format: 'date-time', description: 'collection window start (dateDebut)' }),
  windowEnd: Type.String({ format: 'date-time', description: 'collection window end (dateFin)' }),
  createdAt: Type.String({ format: 'date-time' }),
  archiveName: Type.String(),
  innerName: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  numSequence: Type.Integer(),
  idDemande: Type.String(),
  subscriptionId: Type.Integer(),
  prmCount: Type.Integer(),
  pointCount: Type.Integer(),
  deliveries: Type.Array(DeliveryView),
});

function deliveryView(row: DeliveryRow): Static<typeof DeliveryView> {
  return {
    id: row.id,
    channelId: row.channel_id,
    status: row.status,
    ...deliveryAttemptFields(row),
    deliveredAt: row.delivered_at,
    keyVersion: row.key_version,
    resend: row.resend_seq > 0,
  };
}

function fluxView(publication: PublicationRecord, deliveries: DeliveryRow[]): Static<typeof FluxView> {
  return {
    id: publication.id,
    siren: publication.siren,
    codeFlux: publication.codeFlux,
    dataType: publication.dataType,
    frequency: publication.frequency,
    format: publication.format,
    category: publication.category,
    windowStart: publication.windowStart.toISOString(),
    windowEnd: publication.windowEnd.toISOString(),
    createdAt: publication.createdAt.toISOString(),
    archiveName: publication.archiveName,
    innerName: publication.innerName,
    size: publication.size,
    sha256: publication.sha256,
    numSequence: publication.numSequence,
    idDemande: publication.idDemande,
    subscriptionId: publication.subscriptionId,
    prmCount: publication.prmCount,
    pointCount: publication.pointCount,
    deliveries: deliveries.map(deliveryView),
  };
}

function actorOf(user: UserRecord): ServiceActor {
  return {
    type: 'user',
    id: String(user.id),
    label: user.email,
    entrepriseId: user.entrepriseId,
    habilitations: user.habilitations,
    sirenPerimeter: user.sirenPerimeter,
  };
}

/** "Recherche de flux": the archive, its files, re-sends and rebuilds of past windows. */
export const fluxRoutes: ApiRouteModule = (app, ctx) => {
  /** One publication with its deliveries. */
  const viewOf = async (publication: PublicationRecord) =>
    fluxView(publication, (await ctx.flux.deliveriesOf([publication.id])).get(publication.id) ?? []);

  app.get(
    '/flux',
    {
      schema: {
        tags: ['flux'],
        summary: 'Search the archive of published files (4 years, from 2018-08-09)',
        description:
          'Filters of "Recherche de flux". `from`/`to` bound the publication date (Paris days, both ' +
          'inclusive); a date before 2018-08-09 or older than the 4-year access window is refused with ' +
          'a clear message. Newest first, paginated.',
        querystring: Type.Object({
          siren: Type.Optional(Type.String({ pattern: '^\\d{9}$' })),
          from: Type.Optional(Day),
          to: Type.Optional(Day),
          frequency: Type.Optional(Type.Union([Type.Literal('Q'), Type.Literal('H'), Type.Literal('M')])),
          fileName: Type.Optional(
            Type.String({ maxLength: 200, description: 'exact archive or inner file name' }),
          ),
          dataType: Type.Optional(
            Type.Union([Type.Literal('INDEX'), Type.Literal('CDC_BRUTE'), Type.Literal('CDC_CORRIGEE')]),
          ),
          contract: Type.Optional(Type.String({ maxLength: 100 })),
          prm: Type.Optional(Type.String({ pattern: '^\\d{14}$' })),
          page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
        }),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            page: Type.Integer(),
            pageSize: Type.Integer(),
            items: Type.Array(FluxView),
          }),
          400: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const q = request.query;
      const result = await ctx.flux.search(await ctx.flux.scopeOf(user), {
        siren: q.siren,
        dateDebut: q.from,
        dateFin: q.to,
        frequency: q.frequency,
        fileName: q.fileName,
        dataType: q.dataType,
        contractNumber: q.contract,
        prm: q.prm,
        page: q.page,
        pageSize: q.pageSize,
      });
      const items = result.items.map((item) => fluxView(item, result.deliveries.get(item.id) ?? []));
      return { total: result.total, page: result.page, pageSize: result.pageSize, items };
    },
  );

  app.get(
    '/flux/:id',
    {
      schema: {
        tags: ['flux'],
        summary: 'One published file: its window, PRMs and contracts covered, deliveries per channel',
        params: IdParams,
        response: {
          200: Type.Intersect([
            FluxView,
            Type.Object({
              prms: Type.Array(Type.Object({ prm: Type.String(), contractNumber: Type.String() })),
            }),
          ]),
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const publication = await ctx.flux.findVisible(user, request.params.id);
      return { ...(await viewOf(publication)), prms: await ctx.flux.prmsOf(publication.id) };
    },
  );

  app.get(
    '/flux/:id/file',
    {
      schema: {
        tags: ['flux'],
        summary: 'Download the zip of a published file (not encrypted with the customer key)',
        params: IdParams,
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request, 'READ');
      const publication = await ctx.flux.findVisible(user, request.params.id);
      const stream = await ctx.publicationEngine.archive.open(publication.storageKey);
      // The at-rest tag is checked at the end of the stream: an altered file aborts the response.
      stream.on('error', (error) => {
        request.log.error({ err: error, publicationId: publication.id }, 'archived file could not be read');
        reply.raw.destroy(error);
      });
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${publication.archiveName}"`)
        .header('x-content-sha256', publication.sha256)
        .send(stream);
    },
  );

  app.post(
    '/flux/:id/resend',
    {
      schema: {
        tags: ['flux'],
        summary: 'Send an archived file again to one active channel (a new delivery)',
        params: IdParams,
        body: Type.Object({ channelId: Type.Integer({ minimum: 1 }) }),
        response: { 202: DeliveryView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request, 'READ');
      const publication = await ctx.flux.findVisible(user, request.params.id);
      currentUser(request, 'GESTION_SERVICES_DONNEES');
      const row = await ctx.delivery.deliveries.resend(actorOf(user), {
        publicationId: publication.id,
        channelId: request.body.channelId,
      });
      return reply.code(202).send(deliveryView(row));
    },
  );

  app.post(
    '/subscriptions/:id/rebuild',
    {
      schema: {
        tags: ['flux'],
        summary: 'Build a past window of a subscription again (same content, next numSequence)',
        params: IdParams,
        body: Type.Object({
          windowStart: Type.String({
            description: 'start of the window: Paris day YYYY-MM-DD or ISO instant',
          }),
        }),
        response: { 201: FluxView, 400: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request, 'READ');
      const subscription = await ctx.subscriptions.findVisible(user, request.params.id);
      currentUser(request, 'GESTION_SERVICES_DONNEES');
      const start = parseWindowStart(request.body.windowStart);
      if (!start)
        throw new AppError('INVALID_INPUT', `windowStart "${request.body.windowStart}" is not a date`);
      const outcome = await ctx.publicationEngine.rebuild(subscription.id, start, user.email);
      if (outcome.status !== 'done' || outcome.publicationId === undefined) {
        throw new AppError(
          'INTERNAL',
          `rebuild run ${outcome.runId} did not complete: ${outcome.error ?? outcome.status}`,
        );
      }
      return reply.code(201).send(await viewOf(await ctx.flux.get(outcome.publicationId)));
    },
  );
};
