import { sql } from 'kysely';
import type { Db } from './database.js';

/** How a subject is throttled: `threshold` attempts within `windowMs`, then locked for `lockMs`. */
export interface ThrottlePolicy {
  threshold: number;
  windowMs: number;
  lockMs: number;
}

/** The outcome of reserving one attempt. */
export interface ThrottleReservation {
  /** The attempt may check its secret: it is among the first `threshold` of the window. */
  allowed: boolean;
  /** This attempt is the last one allowed: if it fails, the subject is now locked. */
  last: boolean;
  lockedUntil: Date | null;
}

/**
 * Attempt counters (failed logins, password confirmations) per subject. An attempt is counted before
 * its secret is checked, in one statement, so parallel attempts cannot all read the same count: the
 * `threshold + 1`-th attempt of a burst is refused whatever the order in which their checks finish.
 */
export class LoginThrottleRepository {
  constructor(private readonly db: Db) {}

  async reserve(subject: string, now: Date, policy: ThrottlePolicy): Promise<ThrottleReservation> {
    const at = now.toISOString();
    const windowStart = new Date(now.getTime() - policy.windowMs).toISOString();
    const lockUntil = new Date(now.getTime() + policy.lockMs).toISOString();
    const firstLock = policy.threshold <= 1 ? lockUntil : null;
    // A lock in force counts the attempt and keeps the lock; an expired lock or a quiet window starts
    // the count again; the attempt that reaches the threshold sets the lock (a right password lifts it).
    const result = await sql<{ failures: number; locked_until: string | null }>`
      insert into login_throttle (subject, failures, last_failure_at, locked_until)
      values (${subject}, 1, ${at}, ${firstLock})
      on conflict (subject) do update set
        failures = case
          when login_throttle.locked_until > ${at} then login_throttle.failures + 1
          when login_throttle.locked_until is not null or login_throttle.last_failure_at <= ${windowStart}
            then 1
          else login_throttle.failures + 1 end,
        locked_until = case
          when login_throttle.locked_until > ${at} then login_throttle.locked_until
          when login_throttle.locked_until is null and login_throttle.last_failure_at > ${windowStart}
            and login_throttle.failures + 1 >= ${policy.threshold} then ${lockUntil}
          else ${firstLock} end,
        last_failure_at = ${at}
      returning failures, locked_until`.execute(this.db);
    const row = result.rows[0]!;
    const failures = Number(row.failures);
    return {
      allowed: failures <= policy.threshold,
      last: failures === policy.threshold,
      lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
    };
  }

  /** Forgets a subject's count and lock (after a right secret). */
  async clear(subject: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('subject', '=', subject).execute();
  }
}
