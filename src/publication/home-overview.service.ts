import { sirensInScope } from '../auth/tenant-scope.js';
import type { DatabaseHandle } from '../db/database.js';
import type { DeliveryListing, DeliveryRow } from '../db/delivery.repository.js';
import { PublicationRepository, type PublicationRecord } from '../db/publication.repository.js';
import { SubscriptionRepository, type SubscriptionRecord } from '../db/subscription.repository.js';
import type { UserRecord } from '../db/user.repository.js';
import type { ChannelService } from '../delivery/channel.service.js';
import type { DeliveryService } from '../delivery/delivery.service.js';
import type { KeyStatus, KeyStatusService } from '../delivery/key-status.service.js';
import type { ServiceActor } from '../domain/service-actor.js';
import type { FluxService } from './flux.service.js';

/** Publications shown on the home page. */
const LATEST_PUBLICATIONS = 5;
/** Failed and retrying deliveries shown on the home page, each. */
const DELIVERIES_SHOWN = 20;

/** What the home page ("Accueil") shows of the entreprise, within the user's perimeter. */
export interface HomeOverview {
  /** Live subscriptions of the user's SIRENs: SIREN by SIREN, category A then B, by id. */
  subscriptions: SubscriptionRecord[];
  /** Failed deliveries, newest first; data managers only (empty for others). */
  failed: DeliveryListing[];
  /** Deliveries waiting for another attempt, newest first; data managers only (empty for others). */
  retrying: DeliveryListing[];
  /** Channel labels by id, as the channel list gives them; data managers only (empty for others). */
  channelLabels: Map<number, string>;
  /** Channel names by id for anyone: the label, else the address or host. */
  channelNames: Map<number, string>;
  /** The latest publications, newest first. */
  latest: PublicationRecord[];
  /** The deliveries of each of `latest`, by publication id. */
  latestDeliveries: Map<number, DeliveryRow[]>;
  /** The current customer key, when one exists; data managers only. */
  key: KeyStatus | undefined;
}

/**
 * Assembles the home page in a fixed number of queries, whatever the number of SIRENs, publications
 * or deliveries (the deliveries of the latest publications are read in one query).
 */
export class HomeOverviewService {
  constructor(
    private readonly handle: Pick<DatabaseHandle, 'db' | 'engine'>,
    private readonly services: {
      deliveries: DeliveryService;
      channels: ChannelService;
      keys: KeyStatusService;
      flux: FluxService;
    },
  ) {}

  /** `managesData`: the user holds GESTION_SERVICES_DONNEES (deliveries, channels and key shown). */
  async overviewFor(user: UserRecord, actor: ServiceActor, managesData: boolean): Promise<HomeOverview> {
    const { db } = this.handle;
    const sirens = await sirensInScope(db, user);
    const subscriptions = await new SubscriptionRepository(db).listLiveOfSirens(sirens, ['A', 'B']);
    // Only the deliveries of SIRENs within the user's perimeter (the service applies it).
    const failed = managesData
      ? await this.services.deliveries.search(actor, { status: 'failed', limit: DELIVERIES_SHOWN })
      : [];
    const retrying = managesData
      ? await this.services.deliveries.search(actor, { retrying: true, limit: DELIVERIES_SHOWN })
      : [];
    const channels = await this.services.channels.list(actor);
    const latest = (
      await new PublicationRepository(db).search({ sirens, limit: LATEST_PUBLICATIONS, offset: 0 })
    ).items.filter((p) => p.entrepriseId === user.entrepriseId);
    return {
      subscriptions,
      failed,
      retrying,
      channelLabels: new Map(managesData ? channels.map((c) => [c.id, c.label]) : []),
      channelNames: new Map(channels.map((c) => [c.id, c.label || c.email || c.host || `canal ${c.id}`])),
      latest,
      latestDeliveries: await this.services.flux.deliveriesOf(latest.map((p) => p.id)),
      key: managesData ? await this.services.keys.current(user.entrepriseId) : undefined,
    };
  }
}
