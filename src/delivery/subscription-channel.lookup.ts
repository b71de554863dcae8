import type { Db } from '../db/database.js';
import { SubscriptionChannelRepository } from '../db/subscription-channel.repository.js';
import type { ChannelRef, SubscriptionChannelLookup } from '../subscriptions/subscription.service.js';

/** The channels of each subscription as the publication settings stored them (`subscription_channel`). */
export class StoredSubscriptionChannels implements SubscriptionChannelLookup {
  constructor(private readonly db: Db) {}

  async channelsOf(subscriptionIds: readonly number[]): Promise<ReadonlyMap<number, ChannelRef[]>> {
    const rows = await new SubscriptionChannelRepository(this.db).channelsOfSubscriptions(subscriptionIds);
    const result = new Map<number, ChannelRef[]>();
    for (const row of rows) {
      const list = result.get(row.subscription_id) ?? [];
      list.push({ id: row.id, label: row.label });
      result.set(row.subscription_id, list);
    }
    return result;
  }
}
