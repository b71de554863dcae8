import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiTokenService } from '../../auth/api-token.service.js';
import type { LoginService } from '../../auth/login.service.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { FluxService } from '../../publication/flux.service.js';
import type { OperatorRunsService } from '../../publication/operator-runs.service.js';
import type { PublicationEngine } from '../../publication/publication-engine.js';
import type { EntrepriseService } from '../../registry/entreprise.service.js';
import type { PrmListingService } from '../../registry/prm-listing.service.js';
import type { DeliveryServices } from '../../delivery/delivery-services.js';
import type { ImportExecutor } from '../../jobs/import-thread.js';
import type { ImportLimits } from '../../meterdata/import/import-limits.js';
import type { Mailer } from '../../notification/mailer.js';
import type { Notifier } from '../../notification/notifier.js';
import type { SubscriptionLookupService } from '../../subscriptions/subscription-lookup.service.js';
import type { SubscriptionChannelLookup } from '../../subscriptions/subscription.service.js';

/** What route modules receive besides the Fastify instance. */
export interface ApiContext {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  notifier: Notifier;
  /** Channels of each subscription. */
  subscriptionChannels: SubscriptionChannelLookup;
  /** Names the session cookie and signs CSRF tokens to the session. */
  sessionCookie: string;
  /** Logins, logouts and password confirmations, with their lock-out. */
  logins: LoginService;
  /** The archive and the publication runs (downloads, rebuilds). */
  publicationEngine: PublicationEngine;
  /** Channels, encryption keys and deliveries (same mailer and notifier as above). */
  delivery: DeliveryServices;
  /** Largest measurement file `POST /measurements` accepts, in bytes. */
  uploadLimitBytes: number;
  /** Runs measurement and registry imports off the thread that answers requests. */
  imports: ImportExecutor;
  /** Archive limits of measurement imports (`PUBLIWATT_IMPORT_…`). */
  importLimits: Partial<ImportLimits> | undefined;
  /** "Recherche de flux": visible publications, their deliveries and PRMs. */
  flux: FluxService;
  /** A subscription reached by id, within the caller's entreprise and perimeter. */
  subscriptions: SubscriptionLookupService;
  /** Personal API tokens (created and revoked with their audit entry). */
  tokens: ApiTokenService;
  /** Publication runs in trouble, for operators. */
  operatorRuns: OperatorRunsService;
  /** Entreprises and their SIRENs, for operators. */
  entreprises: EntrepriseService;
  /** PRMs attached to SIRENs (counts per category). */
  prms: PrmListingService;
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** One area of the API (`/api/v1/...`): registers its routes on `app`. */
export type ApiRouteModule = (app: ApiApp, context: ApiContext) => void;
