import type { FastifyInstance } from 'fastify';

/**
 * Links of the form `/canaux/confirmation?jeton=…` lead to the portal's confirmation page, which asks
 * for a click before confirming: a GET never confirms, since mail scanners open links.
 */
export function registerChannelConfirmationRoute(app: FastifyInstance): void {
  app.get<{ Querystring: { jeton?: string } }>(
    '/canaux/confirmation',
    { schema: { hide: true } },
    (request, reply) => {
      const token = typeof request.query.jeton === 'string' ? request.query.jeton : '';
      return reply.redirect(`/portail/canaux/confirmation?jeton=${encodeURIComponent(token)}`, 303);
    },
  );
}
