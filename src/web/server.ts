import { createHmac } from 'node:crypto';
import path from 'node:path';
import cookie from '@fastify/cookie';
import csrfProtection from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { authenticate } from '../auth/authenticator.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { AppError, ERROR_STATUS, toAppError } from '../domain/app-error.js';
import { LoggingNotifier } from '../notification/logging.notifier.js';
import type { Mailer } from '../notification/mailer.js';
import type { Notifier } from '../notification/notifier.js';
import { OutboxMailer } from '../notification/outbox.mailer.js';
import { MasterCipher } from '../crypto/master-cipher.js';
import { ChannelService } from '../delivery/channel.service.js';
import { DeliveryService } from '../delivery/delivery.service.js';
import { EncryptionKeyService } from '../delivery/encryption-key.service.js';
import { PublicationSettingsService } from '../delivery/publication-settings.service.js';
import { SubscriptionChannelsLookup } from '../delivery/subscription-channels.lookup.js';
import { FtpTransport } from '../delivery/transports/ftp.transport.js';
import { SftpTransport } from '../delivery/transports/sftp.transport.js';
import type { SubscriptionChannelLookup } from '../subscriptions/subscription.service.js';
import type { ApiContext } from './api/api-context.js';
import { API_ROUTE_MODULES } from './api/index.js';
import { csrfBindingOf } from './csrf-binding.js';
import { frenchMessage } from './error-messages.js';
import './guards.js';
import { registerAssetRoutes } from './routes/assets.route.js';
import { registerHealthRoute } from './routes/health.route.js';
import type { PortalContext } from './portal/portal-context.js';
import { PORTAL_PAGE_MODULES } from './portal/portal-pages.js';

export interface ServerDeps {
  config: Config;
  database: DatabaseHandle;
  clock: Clock;
  logger: Logger;
  /** Defaults to the outbox folder `<data dir>/outbox/`. */
  mailer?: Mailer;
  /** Defaults to logged notices. */
  notifier?: Notifier;
  /** Channels of each subscription, for the grid; defaults to the stored associations. */
  channels?: SubscriptionChannelLookup;
  /** Base URL of the portal in links sent by e-mail; defaults to `http://localhost:<port>`. */
  portalUrl?: string;
}

export const SESSION_COOKIE = 'publiwatt_session';

/** A route as Fastify registered it (HEAD twins of GET routes left out). */
export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the server, in registration order (tests enumerate them). */
    registeredRoutes: RegisteredRoute[];
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Maps what Fastify and its plugins throw to our codes. */
function appErrorOf(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as { validation?: unknown; code?: string; statusCode?: number; message?: string };
  if (e.validation) return new AppError('INVALID_INPUT', e.message ?? 'invalid input');
  if (typeof e.code === 'string' && e.code.startsWith('FST_CSRF')) {
    return new AppError('CSRF_INVALID', e.message ?? 'csrf');
  }
  if (e.statusCode === 429) return new AppError('RATE_LIMITED', e.message ?? 'rate limited');
  if (e.statusCode === 415) {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'media type', {
      expected: 'application/json',
    });
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError('INVALID_INPUT', e.message ?? 'bad request');
  }
  return toAppError(error);
}

/**
 * Builds the HTTP server: the one place that composes plugins and route modules. Listening is the
 * caller's business. Callers are authenticated once per request (bearer token first, else the session
 * cookie); every cookie-authenticated state-changing request must carry a CSRF token.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('registeredRoutes', [] as RegisteredRoute[]);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') app.registeredRoutes.push({ method, url: route.url });
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const appError = appErrorOf(error);
    const status = ERROR_STATUS[appError.code];
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ code: appError.code, message: frenchMessage(appError) });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .send({ code: 'NOT_FOUND', message: frenchMessage(new AppError('NOT_FOUND', 'not found')) }),
  );

  await app.register(cookie);
  await app.register(formbody);
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' },
    // Tokens are bound to the session (its hash), so a token from another session is refused.
    csrfOpts: { hmacKey: createHmac('sha256', deps.config.masterKey).update('csrf').digest() },
    getUserInfo: csrfBindingOf,
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Publiwatt API',
        version: '1',
        description:
          'Subscriptions to recurring publications of meter data. Authenticate with ' +
          '`Authorization: Bearer <token>` (personal tokens: POST /api/v1/tokens). Errors are ' +
          '`{ code, message }` with a stable code and a French message.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });

  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const bearer = bearerOf(request);
    const sessionId = bearer === undefined ? request.cookies[SESSION_COOKIE] : undefined;
    if (bearer === undefined && sessionId === undefined) return;
    request.principal = await authenticate(
      deps.database.db,
      { ...(bearer !== undefined ? { bearer } : {}), ...(sessionId !== undefined ? { sessionId } : {}) },
      deps.clock.now(),
    );
  });
  // After body parsing, so the token may come as a form field `_csrf` as well as a header.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.principal?.via === 'session' && !SAFE_METHODS.has(request.method)) {
      app.csrfProtection(request, reply, done);
      return;
    }
    done();
  });

  const context: ApiContext = {
    db: deps.database.db,
    clock: deps.clock,
    mailer: deps.mailer ?? new OutboxMailer(path.join(deps.config.dataDir, 'outbox'), deps.clock),
    notifier: deps.notifier ?? new LoggingNotifier(deps.logger),
    channels: deps.channels ?? new SubscriptionChannelsLookup(deps.database.db),
    sessionCookie: SESSION_COOKIE,
  };
  const portalUrl = deps.portalUrl ?? `http://localhost:${deps.config.port}`;
  const portal: PortalContext = {
    db: context.db,
    handle: deps.database,
    clock: deps.clock,
    mailer: context.mailer,
    channels: new ChannelService({
      db: context.db,
      clock: deps.clock,
      cipher: new MasterCipher(deps.config.masterKey),
      mailer: context.mailer,
      transports: { sftp: new SftpTransport(), ftp: new FtpTransport() },
      portalUrl: `${portalUrl}/portail`,
    }),
    keys: new EncryptionKeyService(context.db, new MasterCipher(deps.config.masterKey), deps.clock),
    deliveries: new DeliveryService(deps.database, deps.clock),
    publication: new PublicationSettingsService(context.db, deps.clock),
    subscriptionChannels: context.channels,
    sessionCookie: SESSION_COOKIE,
    portalUrl,
  };

  registerHealthRoute(app, { db: deps.database.db, engine: deps.database.engine });
  registerAssetRoutes(app);
  for (const register of PORTAL_PAGE_MODULES) register(app, portal);
  await app.register(
    async (api) => {
      for (const register of API_ROUTE_MODULES) register(api, context);
    },
    { prefix: '/api/v1' },
  );
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}
