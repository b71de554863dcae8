import type { Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { withId } from './column-types.js';

/**
 * Channels, customer encryption keys, subscription ↔ channel links and deliveries.
 * `subscription_channel.subscription_id` and `delivery.publication_id` are plain integers without a
 * foreign key: their tables belong to other migrations, and delivery rows must outlive nothing else.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await withId(db.schema.createTable('channel'), engine)
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('email', 'text')
    .addColumn('host', 'text')
    .addColumn('port', 'integer')
    .addColumn('username', 'text')
    .addColumn('remote_dir', 'text')
    .addColumn('auth_kind', 'text')
    .addColumn('secret_sealed', 'text')
    .addColumn('host_key_fingerprint', 'text')
    .addColumn('allow_self_signed', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('insecure_acknowledged', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('confirmation_token_hash', 'text')
    .addColumn('confirmation_expires_at', 'text')
    .addColumn('confirmed_at', 'text')
    .addColumn('last_test_at', 'text')
    .addColumn('last_test_ok', 'integer')
    .addColumn('last_test_result', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('channel_entreprise_idx').on('channel').column('entreprise_id').execute();
  await db.schema
    .createIndex('channel_confirmation_idx')
    .on('channel')
    .column('confirmation_token_hash')
    .execute();

  await withId(db.schema.createTable('customer_key'), engine)
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('key_sealed', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('retired_at', 'text')
    .addUniqueConstraint('customer_key_version_uq', ['entreprise_id', 'version'])
    .execute();

  await db.schema
    .createTable('subscription_channel')
    .addColumn('subscription_id', 'integer', (col) => col.notNull())
    .addColumn('channel_id', 'integer', (col) => col.notNull().references('channel.id'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('subscription_channel_pk', ['subscription_id', 'channel_id'])
    .execute();
  await db.schema
    .createIndex('subscription_channel_channel_idx')
    .on('subscription_channel')
    .column('channel_id')
    .execute();

  await withId(db.schema.createTable('delivery'), engine)
    .addColumn('publication_id', 'integer', (col) => col.notNull())
    .addColumn('channel_id', 'integer', (col) => col.notNull().references('channel.id'))
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    // 0 = the publication's normal delivery; 1, 2, … = re-sends. Unique with the pair, so a second
    // scheduler cannot create a second normal delivery (NULL would not be unique on either engine).
    .addColumn('resend_seq', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('first_attempt_at', 'text')
    .addColumn('next_attempt_at', 'text', (col) => col.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('key_version', 'integer')
    .addColumn('receipt', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('delivery_publication_channel_uq', ['publication_id', 'channel_id', 'resend_seq'])
    .execute();
  await db.schema
    .createIndex('delivery_due_idx')
    .on('delivery')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('delivery_entreprise_idx')
    .on('delivery')
    .columns(['entreprise_id', 'created_at'])
    .execute();
}
