import { AppError } from '../domain/app-error.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { LoginThrottleRepository } from '../db/login-throttle.repository.js';
import { SessionRepository } from '../db/session.repository.js';
import { UserRepository, type UserRecord } from '../db/user.repository.js';
import { hashPassword, verifyPassword } from './password.js';
import { checkPasswordStrength } from './password-policy.js';
import { issueSecret } from './secret-token.js';

/** Consecutive failed logins of one e-mail address that lock it. */
export const LOCKOUT_THRESHOLD = 5;
/** How long a lock lasts; failures older than this are forgotten. */
export const LOCKOUT_DURATION_MS = 15 * 60 * 1000;
/** Absolute lifetime of a portal session. */
export const SESSION_DURATION_MS = 8 * 60 * 60 * 1000;

let dummyHash: Promise<string> | undefined;

/** Verifies against a throwaway hash, so an unknown address costs as much time as a known one. */
function burnTime(password: string): Promise<boolean> {
  dummyHash ??= hashPassword('publiwatt-unknown-account');
  return dummyHash.then((hash) => verifyPassword(hash, password));
}

/**
 * E-mail + password login with lock-out: after LOCKOUT_THRESHOLD consecutive failures the address is
 * locked for LOCKOUT_DURATION_MS (even a right password is refused meanwhile). Unknown addresses are
 * counted too, so the answer never reveals whether an account exists.
 */
export class LoginService {
  constructor(private readonly db: Db) {}

  async login(
    emailInput: string,
    password: string,
    now: Date,
  ): Promise<{ sessionId: string; user: UserRecord; expiresAt: Date }> {
    const email = emailInput.trim().toLowerCase();
    const throttle = new LoginThrottleRepository(this.db);
    const state = await throttle.find(email);
    if (state?.lockedUntil && state.lockedUntil.getTime() > now.getTime()) {
      throw new AppError('ACCOUNT_LOCKED', `${email} is locked until ${state.lockedUntil.toISOString()}`, {
        until: state.lockedUntil.toISOString(),
      });
    }
    const user = await new UserRepository(this.db).findByEmail(email);
    const valid = user ? await verifyPassword(user.passwordHash, password) : await burnTime(password);
    if (!user || !valid || !user.active) {
      const recent = state && now.getTime() - state.lastFailureAt.getTime() < LOCKOUT_DURATION_MS;
      const failures = (recent ? state.failures : 0) + 1;
      const lockedUntil =
        failures >= LOCKOUT_THRESHOLD ? new Date(now.getTime() + LOCKOUT_DURATION_MS) : null;
      await throttle.save({ email, failures: lockedUntil ? 0 : failures, lastFailureAt: now, lockedUntil });
      if (user && lockedUntil) {
        await new AuditRepository(this.db).append(
          {
            actor: { type: 'system', id: null, label: 'authentification' },
            entrepriseId: user.entrepriseId,
            action: 'user.locked_out',
            target: `user:${user.id}`,
            after: { until: lockedUntil.toISOString(), failures: LOCKOUT_THRESHOLD },
          },
          now,
        );
      }
      if (lockedUntil) {
        throw new AppError('ACCOUNT_LOCKED', `${email} locked after ${LOCKOUT_THRESHOLD} failures`, {
          until: lockedUntil.toISOString(),
        });
      }
      throw new AppError('INVALID_CREDENTIALS', 'wrong e-mail address or password');
    }
    if (state) await throttle.clear(email);
    const session = issueSecret();
    const expiresAt = new Date(now.getTime() + SESSION_DURATION_MS);
    const sessions = new SessionRepository(this.db);
    await sessions.deleteExpired(now);
    await sessions.insert({
      idHash: session.hash,
      userId: user.id,
      createdAt: now,
      expiresAt,
    });
    return { sessionId: session.token, user, expiresAt };
  }

  async logout(sessionIdHash: string): Promise<void> {
    await new SessionRepository(this.db).delete(sessionIdHash);
  }

  /** Changes a user's own password; ends their other sessions. */
  async changePassword(
    user: UserRecord,
    current: string,
    next: string,
    now: Date,
    keepSessionIdHash?: string,
  ): Promise<void> {
    if (!(await verifyPassword(user.passwordHash, current))) {
      throw new AppError('INVALID_CREDENTIALS', 'the current password is wrong');
    }
    checkPasswordStrength(next);
    const hash = await hashPassword(next);
    await this.db.transaction().execute(async (trx) => {
      await new UserRepository(trx).setPasswordHash(user.id, hash);
      await new SessionRepository(trx).deleteForUser(user.id, keepSessionIdHash);
      await new AuditRepository(trx).append(
        {
          actor: { type: 'user', id: String(user.id), label: user.email },
          entrepriseId: user.entrepriseId,
          action: 'user.password_changed',
          target: `user:${user.id}`,
        },
        now,
      );
    });
  }
}
