import type { Clock } from '../clock.js';
import { AuditRepository } from '../db/audit.repository.js';
import { ChannelRepository } from '../db/channel.repository.js';
import type { Db } from '../db/database.js';
import { SubscriptionChannelRepository } from '../db/subscription-channel.repository.js';
import { AppError } from '../domain/app-error.js';
import { requireDataManager, type ServiceActor } from '../domain/service-actor.js';

/** What this service needs to know of a subscription (read by the caller from the subscriptions). */
export interface SubscriptionRef {
  id: number;
  entrepriseId: number;
  /** ISO instant the subscription becomes effective (72 h after it was requested). */
  effectiveAt: string;
}

/**
 * "Gérer la publication": which active channels of the entreprise receive a subscription's files.
 * Refused before the subscription is effective; the whole set is replaced in one transaction, audited.
 */
export class PublicationSettingsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async channelsOf(actor: ServiceActor, subscription: SubscriptionRef): Promise<number[]> {
    if (subscription.entrepriseId !== actor.entrepriseId)
      throw new AppError('NOT_FOUND', 'subscription not found');
    return new SubscriptionChannelRepository(this.db).channelIds(subscription.id);
  }

  async setChannels(
    actor: ServiceActor,
    subscription: SubscriptionRef,
    channelIds: readonly number[],
  ): Promise<number[]> {
    requireDataManager(actor);
    if (subscription.entrepriseId !== actor.entrepriseId)
      throw new AppError('NOT_FOUND', 'subscription not found');
    const now = this.clock.now();
    if (now.toISOString() < subscription.effectiveAt) {
      throw new AppError(
        'SUBSCRIPTION_NOT_YET_EFFECTIVE',
        `subscription ${subscription.id} is effective from ${subscription.effectiveAt}`,
        { effectiveAt: subscription.effectiveAt },
      );
    }
    const wanted = [...new Set(channelIds)].sort((a, b) => a - b);
    return this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      for (const id of wanted) {
        const channel = await channels.findInEntreprise(actor.entrepriseId, id);
        if (!channel) throw new AppError('NOT_FOUND', `channel ${id} not found`);
        if (channel.status !== 'ACTIF') {
          throw new AppError('CHANNEL_INVALID', `channel ${id} is inactive`, {
            reason: `le canal « ${channel.label} » est inactif`,
          });
        }
      }
      const links = new SubscriptionChannelRepository(trx);
      const before = await links.channelIds(subscription.id);
      await links.replace(subscription.id, wanted, now);
      await new AuditRepository(trx).append(
        {
          actor: { type: actor.type, id: actor.id, label: actor.label },
          entrepriseId: actor.entrepriseId,
          action: 'subscription.channels.updated',
          target: `subscription:${subscription.id}`,
          before: { channelIds: before },
          after: { channelIds: wanted },
        },
        now,
      );
      return wanted;
    });
  }
}
