import type { Db } from './database.js';
import type { ChannelKind, ChannelStatus } from './schema.js';

/** Which channels receive a subscription's publications. */
export class SubscriptionChannelRepository {
  constructor(private readonly db: Db) {}

  /** Replaces the whole set (call inside a transaction with the audit entry). */
  async replace(subscriptionId: number, channelIds: readonly number[], now: Date): Promise<void> {
    await this.db.deleteFrom('subscription_channel').where('subscription_id', '=', subscriptionId).execute();
    if (channelIds.length === 0) return;
    await this.db
      .insertInto('subscription_channel')
      .values(
        [...new Set(channelIds)].map((channelId) => ({
          subscription_id: subscriptionId,
          channel_id: channelId,
          created_at: now.toISOString(),
        })),
      )
      .execute();
  }

  async channelIds(subscriptionId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('subscription_channel')
      .select('channel_id')
      .where('subscription_id', '=', subscriptionId)
      .orderBy('channel_id')
      .execute();
    return rows.map((row) => row.channel_id);
  }

  /** Active channels only: what a new publication of the subscription is sent to. */
  async activeChannelIds(subscriptionId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('subscription_channel')
      .innerJoin('channel', 'channel.id', 'subscription_channel.channel_id')
      .select('channel.id')
      .where('subscription_channel.subscription_id', '=', subscriptionId)
      .where('channel.status', '=', 'ACTIF')
      .orderBy('channel.id')
      .execute();
    return rows.map((row) => row.id);
  }

  /** The channels (id, label, kind, status) of each of the given subscriptions, in channel id order. */
  async channelsOfSubscriptions(subscriptionIds: readonly number[]): Promise<
    Array<{
      subscription_id: number;
      id: number;
      label: string;
      kind: ChannelKind;
      status: ChannelStatus;
    }>
  > {
    if (subscriptionIds.length === 0) return [];
    return this.db
      .selectFrom('subscription_channel')
      .innerJoin('channel', 'channel.id', 'subscription_channel.channel_id')
      .select([
        'subscription_channel.subscription_id',
        'channel.id',
        'channel.label',
        'channel.kind',
        'channel.status',
      ])
      .where('subscription_channel.subscription_id', 'in', [...subscriptionIds])
      .orderBy('subscription_channel.subscription_id')
      .orderBy('channel.id')
      .execute();
  }
}
