import { Type } from '@sinclair/typebox';
import type { SubscriptionRecord } from '../../db/subscription.repository.js';
import { PublicationSettingsService } from '../../delivery/publication-settings.service.js';
import type { ServiceActor } from '../../domain/service-actor.js';
import { SubscriptionService } from '../../subscriptions/subscription.service.js';
import { currentUser } from '../guards.js';
import { serviceActorOf } from '../service-actor-of.js';
import type { ApiContext, ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from './api-schemas.js';

const SettingsView = Type.Object({
  subscriptionId: Type.Integer(),
  effectiveAt: Type.String({ format: 'date-time', description: 'channels can be chosen from then on' }),
  channels: Type.Array(
    Type.Object({
      id: Type.Integer(),
      label: Type.String(),
      kind: Type.Union([
        Type.Literal('email'),
        Type.Literal('sftp'),
        Type.Literal('ftps'),
        Type.Literal('ftp'),
      ]),
      status: Type.Union([Type.Literal('ACTIF'), Type.Literal('INACTIF')]),
    }),
    { description: 'channels receiving the publications (an Inactif one receives nothing meanwhile)' },
  ),
});

async function settingsView(ctx: ApiContext, actor: ServiceActor, subscription: SubscriptionRecord) {
  const ids = new Set(
    await new PublicationSettingsService(ctx.db, ctx.clock).channelsOf(actor, {
      id: subscription.id,
      entrepriseId: subscription.entrepriseId,
      effectiveAt: subscription.effectiveAt.toISOString(),
    }),
  );
  const channels = (await ctx.delivery.channels.list(actor)).filter((c) => ids.has(c.id));
  return {
    subscriptionId: subscription.id,
    effectiveAt: subscription.effectiveAt.toISOString(),
    channels: channels.map((c) => ({ id: c.id, label: c.label, kind: c.kind, status: c.status })),
  };
}

/** "Gérer la publication": the channels that receive a subscription's files. */
export const publicationSettingsRoutes: ApiRouteModule = (app, ctx) => {
  const settings = new PublicationSettingsService(ctx.db, ctx.clock);
  const subscriptions = new SubscriptionService(ctx.db);

  app.get(
    '/subscriptions/:id/channels',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'The channels that receive this subscription',
        params: IdParams,
        response: { 200: SettingsView, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const subscription = await ctx.subscriptions.findVisible(user, request.params.id);
      return settingsView(ctx, serviceActorOf(user), subscription);
    },
  );

  app.put(
    '/subscriptions/:id/channels',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Choose the channels (active ones of the entreprise) that receive this subscription',
        description:
          'Replaces the whole set; `[]` leaves the files in the archive only. Refused with 409 ' +
          '`SUBSCRIPTION_NOT_YET_EFFECTIVE` during the 72 h after the subscription, and ' +
          '`SUBSCRIPTION_ENDED` after it ended.',
        params: IdParams,
        body: Type.Object(
          { channelIds: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: SettingsView, 400: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      const now = ctx.clock.now();
      const existing = await ctx.subscriptions.findVisible(user, request.params.id);
      const subscription = await subscriptions.requireChannelAssociable(user.entrepriseId, existing.id, now);
      const actor = serviceActorOf(user);
      await settings.setChannels(
        actor,
        {
          id: subscription.id,
          entrepriseId: subscription.entrepriseId,
          effectiveAt: subscription.effectiveAt.toISOString(),
        },
        request.body.channelIds,
      );
      return settingsView(ctx, actor, subscription);
    },
  );
};
