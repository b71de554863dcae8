import type { Clock } from '../clock.js';
import { AuditRepository } from '../db/audit.repository.js';
import { ChannelRepository } from '../db/channel.repository.js';
import type { DatabaseHandle } from '../db/database.js';
import {
  DeliveryRepository,
  type DeliveryFilter,
  type DeliveryListing,
  type DeliveryRow,
} from '../db/delivery.repository.js';
import { PublicationRepository } from '../db/publication.repository.js';
import { SubscriptionChannelRepository } from '../db/subscription-channel.repository.js';
import { AppError } from '../domain/app-error.js';
import { actorReachesSiren, requireDataManager, type ServiceActor } from '../domain/service-actor.js';

/**
 * Creating and reading delivery rows. The publication runner calls `scheduleForPublication` once a
 * publication is archived; routes call `resend` and the listings.
 */
export class DeliveryService {
  constructor(
    private readonly handle: Pick<DatabaseHandle, 'db' | 'engine'>,
    private readonly clock: Clock,
  ) {}

  /**
   * One normal delivery per active channel of the subscription; calling it again (a resumed run, a
   * second scheduler) adds nothing. Returns the channel ids scheduled.
   */
  async scheduleForPublication(input: {
    publicationId: number;
    entrepriseId: number;
    subscriptionId: number;
  }): Promise<number[]> {
    const channelIds = await new SubscriptionChannelRepository(this.handle.db).activeChannelIds(
      input.subscriptionId,
    );
    await new DeliveryRepository(this.handle.db).createForPublication(
      input.publicationId,
      input.entrepriseId,
      channelIds,
      this.clock.now(),
    );
    return channelIds;
  }

  /**
   * Re-sends an archived publication to one active channel of the actor's entreprise: a new row, the
   * original stays as it was. A publication of another entreprise, or of a SIREN outside the actor's
   * perimeter, is NOT_FOUND; so is any id without an archive row for an actor limited to some SIRENs.
   * For the others such an id is the caller's to check: the delivery module also runs on bare ids,
   * its files coming from a `PublicationFileSource`.
   */
  async resend(
    actor: ServiceActor,
    input: { publicationId: number; channelId: number },
  ): Promise<DeliveryRow> {
    requireDataManager(actor);
    const publication = await new PublicationRepository(this.handle.db).find(input.publicationId);
    const reachable = publication
      ? publication.entrepriseId === actor.entrepriseId && actorReachesSiren(actor, publication.siren)
      : (actor.sirenPerimeter ?? null) === null;
    if (!reachable) throw new AppError('NOT_FOUND', `publication ${input.publicationId} not found`);
    const channel = await new ChannelRepository(this.handle.db).findInEntreprise(
      actor.entrepriseId,
      input.channelId,
    );
    if (!channel) throw new AppError('NOT_FOUND', `channel ${input.channelId} not found`);
    if (channel.status !== 'ACTIF') {
      throw new AppError('CHANNEL_NOT_ACTIVABLE', `channel ${input.channelId} is inactive`, {
        kind: channel.kind,
      });
    }
    const now = this.clock.now();
    const deliveries = new DeliveryRepository(this.handle.db);
    const id = await deliveries.createResend(
      input.publicationId,
      actor.entrepriseId,
      input.channelId,
      actor.label,
      now,
    );
    await new AuditRepository(this.handle.db).append(
      {
        actor: { type: actor.type, id: actor.id, label: actor.label },
        entrepriseId: actor.entrepriseId,
        action: 'delivery.resend-requested',
        target: `delivery:${id}`,
        after: { publicationId: input.publicationId, channelId: input.channelId },
      },
      now,
    );
    return (await deliveries.findInEntreprise(actor.entrepriseId, id))!;
  }

  async list(
    actor: ServiceActor,
    options: { status?: DeliveryRow['status']; limit?: number; offset?: number } = {},
  ): Promise<DeliveryRow[]> {
    return new DeliveryRepository(this.handle.db).listForEntreprise(actor.entrepriseId, options);
  }

  async forPublication(actor: ServiceActor, publicationId: number): Promise<DeliveryRow[]> {
    const rows = await new DeliveryRepository(this.handle.db).listForPublication(publicationId);
    return rows.filter((row) => row.entreprise_id === actor.entrepriseId);
  }

  /** The deliveries of the entreprise's publications within the actor's perimeter, newest first. */
  async search(
    actor: ServiceActor,
    filter: Omit<DeliveryFilter, 'entrepriseId' | 'id'> = {},
  ): Promise<DeliveryListing[]> {
    return new DeliveryRepository(this.handle.db).search({
      ...filter,
      entrepriseId: actor.entrepriseId,
      sirens: filter.sirens ?? actor.sirenPerimeter ?? undefined,
    });
  }

  /** One delivery of the entreprise within the actor's perimeter (NOT_FOUND for any other). */
  async get(actor: ServiceActor, id: number, sirens?: readonly string[]): Promise<DeliveryListing> {
    const [row] = await new DeliveryRepository(this.handle.db).search({
      entrepriseId: actor.entrepriseId,
      id,
      sirens: sirens ?? actor.sirenPerimeter ?? undefined,
    });
    if (!row) throw new AppError('NOT_FOUND', `delivery ${id} not found`);
    return row;
  }

  /** Every entreprise's deliveries: for the distributor's operators only (the caller checked). */
  async searchAll(filter: Omit<DeliveryFilter, 'id'> = {}): Promise<DeliveryListing[]> {
    return new DeliveryRepository(this.handle.db).search(filter);
  }
}
