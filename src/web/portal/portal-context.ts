import type { LoginService } from '../../auth/login.service.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { ChannelService } from '../../delivery/channel.service.js';
import type { DeliveryService } from '../../delivery/delivery.service.js';
import type { EncryptionKeyService } from '../../delivery/encryption-key.service.js';
import type { KeyStatusService } from '../../delivery/key-status.service.js';
import type { PublicationSettingsService } from '../../delivery/publication-settings.service.js';
import type { Mailer } from '../../notification/mailer.js';
import type { PublicationArchive } from '../../publication/archive/publication-archive.js';
import type { FluxService } from '../../publication/flux.service.js';
import type { HomeOverviewService } from '../../publication/home-overview.service.js';
import type { EntrepriseService } from '../../registry/entreprise.service.js';
import type { PrmListingService } from '../../registry/prm-listing.service.js';
import type { SubscriptionLookupService } from '../../subscriptions/subscription-lookup.service.js';
import type { SubscriptionChannelLookup } from '../../subscriptions/subscription.service.js';

/** What the server-rendered portal pages call directly (never through HTTP). */
export interface PortalContext {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  channels: ChannelService;
  keys: EncryptionKeyService;
  deliveries: DeliveryService;
  /** Channels and settings of a subscription's publication. */
  publicationSettings: PublicationSettingsService;
  /** Channels of each subscription, for the grid. */
  subscriptionChannels: SubscriptionChannelLookup;
  sessionCookie: string;
  /** Logins, logouts and password confirmations, with their lock-out. */
  logins: LoginService;
  /** Base URL of the portal, for invitation links. */
  portalUrl: string;
  /** The archive of published files (flux search downloads). */
  archive: PublicationArchive;
  /** "Recherche de flux": visible publications and their deliveries. */
  flux: FluxService;
  /** The home page's view, in a fixed number of queries. */
  home: HomeOverviewService;
  /** A subscription reached by id, within the caller's entreprise and perimeter. */
  subscriptions: SubscriptionLookupService;
  /** The entreprise's name in the frame. */
  entreprises: EntrepriseService;
  /** PRMs attached to the user's SIRENs ("Vos compteurs"). */
  prms: PrmListingService;
  /** The current customer key's version and date, without creating one. */
  keyStatus: KeyStatusService;
}
