import { sql, type Kysely } from 'kysely';

/**
 * `login_throttle` counts the attempts of any subject, not only of an e-mail address: an address
 * (`account:<e-mail>`), a recognised browser (`device:<id>`) or a signed-in user confirming their
 * password (`reauth:<user id>`). The column is renamed and the counters of the old keys dropped, so no
 * stale lock outlives the change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table login_throttle rename column email to subject`.execute(db);
  await sql`delete from login_throttle`.execute(db);
}
