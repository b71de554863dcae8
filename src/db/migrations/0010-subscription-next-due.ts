import type { Kysely } from 'kysely';

/**
 * `subscription.next_due_at`: when the subscription's next window to schedule ends (it is due from
 * then), written by the scheduler with the runs it creates; `9999-…` once an ended subscription has
 * nothing left; null until the scheduler has seen the subscription (it then reads its runs). A pass
 * with nothing due reads this index only, instead of every subscription's runs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscription').addColumn('next_due_at', 'text').execute();
  await db.schema
    .createIndex('subscription_next_due_idx')
    .on('subscription')
    .columns(['next_due_at', 'id'])
    .execute();
}
