import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route serves public static files and sets its own `Cache-Control` on them; every other
     * answer (its 404 included) is `no-store`.
     */
    staticAsset?: boolean;
  }
}

/**
 * The Content-Security-Policy of every answer. The portal's scripts and styles are files of its own
 * (`/assets/…`): no inline script, event-handler attribute, `<style>` block or `style` attribute, so
 * an injected fragment of markup can neither run nor restyle the page.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} as const;

/** One year; `includeSubDomains` because nothing under the portal's host is meant to be plain HTTP. */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Security headers of every answer (pages, API, files, errors): the CSP above, `X-Frame-Options: DENY`,
 * `nosniff`, `Referrer-Policy: same-origin` (the portal's own pages still send it to each other: a
 * re-send goes back to the search it came from), helmet's other defaults, HSTS when the request came over
 * HTTPS (directly or through a trusted proxy), and `Cache-Control: no-store` on everything but the static
 * assets: answers carry sessions, CSRF tokens, keys, API tokens or customer files.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    // Sent below, only over HTTPS: over plain HTTP the header means nothing to a browser.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    done();
  });
  app.addHook('onSend', (request, reply, _payload, done) => {
    const asset = request.routeOptions.config?.staticAsset === true && reply.statusCode === 200;
    if (!asset) reply.header('cache-control', 'no-store');
    done();
  });
}
