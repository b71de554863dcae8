import type { LoginService } from '../../auth/login.service.js';
import type { Clock } from '../../clock.js';
import type { DatabaseHandle, Db } from '../../db/database.js';
import type { ChannelService } from '../../delivery/channel.service.js';
import type { DeliveryService } from '../../delivery/delivery.service.js';
import type { EncryptionKeyService } from '../../delivery/encryption-key.service.js';
import type { PublicationSettingsService } from '../../delivery/publication-settings.service.js';
import type { Mailer } from '../../notification/mailer.js';
import type { PublicationArchive } from '../../publication/archive/publication-archive.js';
import type { SubscriptionChannelLookup } from '../../subscriptions/subscription.service.js';

/** What the server-rendered portal pages call directly (never through HTTP). */
export interface PortalContext {
  db: Db;
  /** For repositories that differ per engine (deliveries). */
  handle: Pick<DatabaseHandle, 'db' | 'engine'>;
  clock: Clock;
  mailer: Mailer;
  channels: ChannelService;
  keys: EncryptionKeyService;
  deliveries: DeliveryService;
  publication: PublicationSettingsService;
  /** Channels of each subscription, for the grid. */
  subscriptionChannels: SubscriptionChannelLookup;
  sessionCookie: string;
  /** Logins, logouts and password confirmations, with their lock-out. */
  logins: LoginService;
  /** Base URL of the portal, for invitation links. */
  portalUrl: string;
  /** The archive of published files (flux search downloads). */
  archive: PublicationArchive;
}
