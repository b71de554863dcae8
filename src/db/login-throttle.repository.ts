import type { Db } from './database.js';

export interface LoginThrottleState {
  email: string;
  failures: number;
  lastFailureAt: Date;
  lockedUntil: Date | null;
}

/** Failed-login counters per e-mail address (lower-case). */
export class LoginThrottleRepository {
  constructor(private readonly db: Db) {}

  async find(email: string): Promise<LoginThrottleState | undefined> {
    const row = await this.db
      .selectFrom('login_throttle')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
    return (
      row && {
        email: row.email,
        failures: row.failures,
        lastFailureAt: new Date(row.last_failure_at),
        lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
      }
    );
  }

  async save(state: LoginThrottleState): Promise<void> {
    const values = {
      failures: state.failures,
      last_failure_at: state.lastFailureAt.toISOString(),
      locked_until: state.lockedUntil === null ? null : state.lockedUntil.toISOString(),
    };
    await this.db
      .insertInto('login_throttle')
      .values({ email: state.email, ...values })
      .onConflict((oc) => oc.column('email').doUpdateSet(values))
      .execute();
  }

  async clear(email: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('email', '=', email).execute();
  }
}
