import { sql, type Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { withId } from './column-types.js';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  // An ended subscription is kept (publications reference it); resubscribing inserts a new row.
  await withId(db.schema.createTable('subscription'), engine)
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    .addColumn('siren', 'text', (col) => col.notNull().references('siren.siren'))
    .addColumn('category', 'text', (col) => col.notNull())
    .addColumn('data_type', 'text', (col) => col.notNull())
    .addColumn('frequency', 'text', (col) => col.notNull())
    .addColumn('format', 'text', (col) => col.notNull())
    .addColumn('id_demande', 'text', (col) => col.notNull().unique())
    .addColumn('requested_at', 'text', (col) => col.notNull())
    .addColumn('effective_at', 'text', (col) => col.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('requested_by', 'text', (col) => col.notNull())
    .execute();
  // At most one live subscription per (SIREN, category, data type, frequency).
  await db.schema
    .createIndex('subscription_live_uq')
    .on('subscription')
    .columns(['siren', 'category', 'data_type', 'frequency'])
    .unique()
    .where(sql.ref('ended_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('subscription_entreprise_idx')
    .on('subscription')
    .columns(['entreprise_id', 'siren'])
    .execute();

  // Format history: a window uses the latest change recorded at or before its start.
  await withId(db.schema.createTable('subscription_format_change'), engine)
    .addColumn('subscription_id', 'integer', (col) => col.notNull().references('subscription.id'))
    .addColumn('format', 'text', (col) => col.notNull())
    .addColumn('from_at', 'text', (col) => col.notNull())
    .addColumn('cause', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('subscription_format_change_sub_idx')
    .on('subscription_format_change')
    .column('subscription_id')
    .execute();

  await withId(db.schema.createTable('operator'), engine)
    .addColumn('email', 'text', (col) => col.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();

  // The session id itself is never stored: only its SHA-256.
  await db.schema
    .createTable('user_session')
    .addColumn('id_hash', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('user_session_user_idx').on('user_session').column('user_id').execute();

  // Personal API tokens of a user, or tokens of an operator: exactly one owner.
  await withId(db.schema.createTable('api_token'), engine)
    .addColumn('user_id', 'integer', (col) => col.references('app_user.id'))
    .addColumn('operator_id', 'integer', (col) => col.references('operator.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('prefix', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .addCheckConstraint('api_token_one_owner', sql`(user_id is null) <> (operator_id is null)`)
    .execute();

  // Failed logins per e-mail address (known or not, so a lock-out reveals nothing).
  await db.schema
    .createTable('login_throttle')
    .addColumn('email', 'text', (col) => col.primaryKey())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('last_failure_at', 'text', (col) => col.notNull())
    .addColumn('locked_until', 'text')
    .execute();

  await withId(db.schema.createTable('user_invitation'), engine)
    .addColumn('user_id', 'integer', (col) => col.notNull().references('app_user.id'))
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('used_at', 'text')
    .execute();
}
