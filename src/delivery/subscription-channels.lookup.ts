import { ChannelRepository } from '../db/channel.repository.js';
import type { Db } from '../db/database.js';
import { SubscriptionChannelRepository } from '../db/subscription-channel.repository.js';
import type { ChannelRef, SubscriptionChannelLookup } from '../subscriptions/subscription.service.js';

/** The channels each subscription sends to, with their labels, for the subscription grid. */
export class SubscriptionChannelsLookup implements SubscriptionChannelLookup {
  constructor(private readonly db: Db) {}

  async channelsOf(subscriptionIds: readonly number[]): Promise<ReadonlyMap<number, ChannelRef[]>> {
    const links = new SubscriptionChannelRepository(this.db);
    const channels = new ChannelRepository(this.db);
    const result = new Map<number, ChannelRef[]>();
    for (const id of subscriptionIds) {
      const refs: ChannelRef[] = [];
      for (const channelId of await links.channelIds(id)) {
        const channel = await channels.findById(channelId);
        if (channel) refs.push({ id: channel.id, label: channel.label });
      }
      result.set(id, refs);
    }
    return result;
  }
}
