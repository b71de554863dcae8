import { createHmac } from 'node:crypto';
import cookie from '@fastify/cookie';
import csrfProtection from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifySchemaValidationError,
} from 'fastify';
import type { Logger } from 'pino';
import { ApiTokenService } from '../auth/api-token.service.js';
import { authenticate } from '../auth/authenticator.js';
import { DeviceTokens } from '../auth/device-tokens.js';
import { LoginService } from '../auth/login.service.js';
import type { Clock } from '../clock.js';
import { publicUrlOf, type Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { createDeliveryServices } from '../delivery/delivery-services.js';
import { KeyStatusService } from '../delivery/key-status.service.js';
import { StoredSubscriptionChannels } from '../delivery/subscription-channel.lookup.js';
import { AppError, ERROR_STATUS, toAppError } from '../domain/app-error.js';
import { ImportThread } from '../jobs/import-thread.js';
import type { Mailer } from '../notification/mailer.js';
import type { Notifier } from '../notification/notifier.js';
import type { SubscriptionChannelLookup } from '../subscriptions/subscription.service.js';
import { FluxService } from '../publication/flux.service.js';
import { HomeOverviewService } from '../publication/home-overview.service.js';
import { OperatorRunsService } from '../publication/operator-runs.service.js';
import { createPublicationEngine, type PublicationEngine } from '../publication/publication-engine.js';
import { EntrepriseService } from '../registry/entreprise.service.js';
import { PrmListingService } from '../registry/prm-listing.service.js';
import { SubscriptionLookupService } from '../subscriptions/subscription-lookup.service.js';
import type { ApiContext } from './api/api-context.js';
import { API_ROUTE_MODULES } from './api/index.js';
import { csrfBindingOf } from './csrf-binding.js';
import { frenchMessage } from './error-messages.js';
import './guards.js';
import { trustProxyOption } from './trusted-proxies.js';
import { inputErrorsOf, type InputError, type InputLocation } from './validation-errors.js';
import { registerAssetRoutes } from './routes/assets.route.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerChannelConfirmationRoute } from './routes/channel-confirmation.route.js';
import { registerHealthRoute } from './routes/health.route.js';
import { PublicationSettingsService } from '../delivery/publication-settings.service.js';
import type { PortalContext } from './portal/portal-context.js';
import { PORTAL_PAGE_MODULES } from './portal/portal-pages.js';

export interface ServerDeps {
  config: Config;
  database: DatabaseHandle;
  clock: Clock;
  logger: Logger;
  /** Defaults to SMTP when `PUBLIWATT_SMTP_URL` is set, else the outbox folder `<data dir>/outbox/`. */
  mailer?: Mailer;
  /** Defaults to e-mails to the entreprise's data managers. */
  notifier?: Notifier;
  /** The publication engine (archive, runs); built from the configuration when absent. */
  publication?: PublicationEngine;
  /** Channels of each subscription, for the grid; defaults to the stored publication settings. */
  channels?: SubscriptionChannelLookup;
  /** Base URL of the portal in e-mailed links; defaults to `PUBLIWATT_PUBLIC_URL`, else `http://localhost:<port>`. */
  portalUrl?: string;
  /** Largest measurement upload (`POST /api/v1/measurements`); defaults to 2 GiB. */
  uploadLimitBytes?: number;
  /** How long a failed channel test takes to answer; defaults to 20 s (tests shorten it). */
  channelTestFailureDelayMs?: number;
}

const DEFAULT_UPLOAD_LIMIT_BYTES = 2 * 1024 ** 3;

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
function appErrorOf(error: unknown, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const e = error as { code?: string; statusCode?: number; message?: string };
  const detail = e.message ?? 'bad request';
  if (typeof e.code === 'string' && e.code.startsWith('FST_CSRF')) {
    return new AppError('CSRF_INVALID', detail);
  }
  if (e.statusCode === 429) return new AppError('RATE_LIMITED', detail);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return new AppError('UPLOAD_TOO_LARGE', detail, {
      limit: request.routeOptions.bodyLimit,
      subject: 'body',
    });
  }
  if (e.statusCode === 415) {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', detail, { expected: 'application/json' });
  }
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new AppError('INVALID_INPUT', detail, { body: 'empty-json' });
  }
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && e.statusCode === 400)) {
    return new AppError('INVALID_INPUT', detail, { body: 'malformed-json' });
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError('INVALID_INPUT', detail);
  }
  return toAppError(error);
}

/** The schema violations of a request, or undefined when the error is not a validation failure. */
function schemaViolationsOf(error: unknown, request: FastifyRequest): InputError[] | undefined {
  const e = error as { validation?: unknown; validationContext?: InputLocation };
  if (!Array.isArray(e.validation)) return undefined;
  const location = e.validationContext ?? 'body';
  const data: Record<InputLocation, unknown> = {
    body: request.body,
    querystring: request.query,
    params: request.params,
    headers: request.headers,
  };
  const schema = request.routeOptions.schema as Partial<Record<InputLocation, unknown>> | undefined;
  return inputErrorsOf(e.validation as FastifySchemaValidationError[], location, {
    schema: schema?.[location],
    data: data[location],
  });
}

/**
 * Builds the HTTP server: the one place that composes plugins and route modules. Listening is the
 * caller's business. Callers are authenticated once per request (bearer token first, else the session
 * cookie); every cookie-authenticated state-changing request must carry a CSRF token.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // No proxy is trusted unless configured: otherwise a client could choose the address that rate
    // limits count by writing its own X-Forwarded-For.
    trustProxy: trustProxyOption(deps.config.trustedProxies),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('registeredRoutes', [] as RegisteredRoute[]);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') app.registeredRoutes.push({ method, url: route.url });
    }
  });
  // First, so every answer carries them: pages, API, files, redirects, errors and 404s.
  await registerSecurityHeaders(app);

  app.setErrorHandler((error, request, reply) => {
    const errors = schemaViolationsOf(error, request);
    const appError =
      errors === undefined
        ? appErrorOf(error, request)
        : new AppError('INVALID_INPUT', 'the request does not match the route schema', {
            reason: errors.map((e) => e.message).join(' '),
          });
    const status = ERROR_STATUS[appError.code];
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .code(status)
      .send({ code: appError.code, message: frenchMessage(appError), ...(errors ? { errors } : {}) });
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
          '`{ code, message }` with a stable code and a French message; a request that does not match ' +
          'its schema adds `errors` (field, location, rule, French message of each value refused).',
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

  const delivery = createDeliveryServices({
    config: deps.config,
    handle: deps.database,
    clock: deps.clock,
    portalUrl: deps.portalUrl ?? publicUrlOf(deps.config),
    mailer: deps.mailer,
    notifier: deps.notifier,
    logger: deps.logger,
    testFailureDelayMs: deps.channelTestFailureDelayMs,
  });
  const logins = new LoginService(deps.database.db, new DeviceTokens(deps.config.masterKey));
  const imports = new ImportThread(deps.database);
  app.addHook('onClose', () => imports.close());
  const publication =
    deps.publication ??
    createPublicationEngine({
      config: deps.config,
      database: deps.database,
      clock: deps.clock,
      logger: deps.logger,
      notifier: delivery.notifier,
      mailer: delivery.mailer,
    });
  const flux = new FluxService(deps.database, deps.clock);
  const subscriptions = new SubscriptionLookupService(deps.database.db);
  const entreprises = new EntrepriseService(deps.database.db);
  const prms = new PrmListingService(deps.database.db);
  const keyStatus = new KeyStatusService(deps.database.db);
  const context: ApiContext = {
    db: deps.database.db,
    clock: deps.clock,
    mailer: delivery.mailer,
    notifier: delivery.notifier,
    subscriptionChannels: deps.channels ?? new StoredSubscriptionChannels(deps.database.db),
    sessionCookie: SESSION_COOKIE,
    logins,
    delivery,
    uploadLimitBytes: deps.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES,
    imports,
    importLimits: deps.config.importLimits,
    publicationEngine: publication,
    flux,
    subscriptions,
    tokens: new ApiTokenService(deps.database.db),
    operatorRuns: new OperatorRunsService(deps.database, deps.clock, publication),
    entreprises,
    prms,
  };
  const portal: PortalContext = {
    db: context.db,
    clock: deps.clock,
    mailer: delivery.mailer,
    channels: delivery.channels,
    keys: delivery.keys,
    deliveries: delivery.deliveries,
    publicationSettings: new PublicationSettingsService(context.db, deps.clock),
    subscriptionChannels: context.subscriptionChannels,
    sessionCookie: SESSION_COOKIE,
    logins,
    portalUrl: deps.portalUrl ?? publicUrlOf(deps.config),
    archive: context.publicationEngine.archive,
    flux,
    home: new HomeOverviewService(deps.database, {
      deliveries: delivery.deliveries,
      channels: delivery.channels,
      keys: keyStatus,
      flux,
    }),
    subscriptions,
    entreprises,
    prms,
    keyStatus,
  };

  registerHealthRoute(app, { db: deps.database.db, engine: deps.database.engine });
  registerAssetRoutes(app);
  registerChannelConfirmationRoute(app);
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
