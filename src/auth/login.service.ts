import { AppError } from '../domain/app-error.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { LoginThrottleRepository, type ThrottlePolicy } from '../db/login-throttle.repository.js';
import { ApiTokenRepository } from '../db/api-token.repository.js';
import { SessionRepository } from '../db/session.repository.js';
import { UserRepository, type UserRecord } from '../db/user.repository.js';
import { hashPassword, verifyPassword } from './password.js';
import { passwordContextOf } from './password-context.js';
import { checkPasswordStrength } from './password-policy.js';
import type { DeviceTokens } from './device-tokens.js';
import { issueSecret } from './secret-token.js';

/** Failed logins that lock an address (or a recognised browser). */
export const LOCKOUT_THRESHOLD = 5;
/** How long a lock lasts; failures older than this are forgotten. */
export const LOCKOUT_DURATION_MS = 15 * 60 * 1000;
/** Absolute lifetime of a portal session. */
export const SESSION_DURATION_MS = 8 * 60 * 60 * 1000;

const LOGIN_POLICY: ThrottlePolicy = {
  threshold: LOCKOUT_THRESHOLD,
  windowMs: LOCKOUT_DURATION_MS,
  lockMs: LOCKOUT_DURATION_MS,
};

let dummyHash: Promise<string> | undefined;

/** Verifies against a throwaway hash, so an unknown address costs as much time as a known one. */
function burnTime(password: string): Promise<boolean> {
  dummyHash ??= hashPassword('publiwatt-unknown-account');
  return dummyHash.then((hash) => verifyPassword(hash, password));
}

function lockedError(subject: string, until: Date | null): AppError {
  return new AppError('ACCOUNT_LOCKED', `${subject} is locked`, {
    ...(until ? { until: until.toISOString() } : {}),
  });
}

/** A successful login: the session, and a fresh device token for the browser that logged in. */
export interface LoginResult {
  sessionId: string;
  user: UserRecord;
  expiresAt: Date;
  device: string;
}

/**
 * E-mail + password login with lock-out by device cookies: after LOCKOUT_THRESHOLD failures an address
 * is locked for LOCKOUT_DURATION_MS to every browser that has not logged in to it before (even a right
 * password is refused), while a browser holding the device token of an earlier successful login keeps
 * its own count and is not locked by a stranger's failures. Each attempt is counted before its
 * password is checked, atomically, so parallel guesses cannot pass the threshold. Unknown addresses are
 * counted too, so the answer never reveals whether an account exists.
 */
export class LoginService {
  constructor(
    private readonly db: Db,
    private readonly devices: DeviceTokens,
  ) {}

  async login(emailInput: string, password: string, now: Date, deviceToken?: string): Promise<LoginResult> {
    const email = emailInput.trim().toLowerCase();
    const device = deviceToken === undefined ? undefined : this.devices.recognise(deviceToken, email);
    const subject = device === undefined ? `account:${email}` : `device:${device}`;
    const throttle = new LoginThrottleRepository(this.db);
    const reservation = await throttle.reserve(subject, now, LOGIN_POLICY);
    if (!reservation.allowed) throw lockedError(email, reservation.lockedUntil);
    const user = await new UserRepository(this.db).findByEmail(email);
    const valid = user ? await verifyPassword(user.passwordHash, password) : await burnTime(password);
    if (!user || !valid || !user.active) {
      if (!reservation.last) throw new AppError('INVALID_CREDENTIALS', 'wrong e-mail address or password');
      if (user) {
        await new AuditRepository(this.db).append(
          {
            actor: { type: 'system', id: null, label: 'authentification' },
            entrepriseId: user.entrepriseId,
            action: 'user.locked_out',
            target: `user:${user.id}`,
            after: {
              until: reservation.lockedUntil?.toISOString() ?? null,
              failures: LOCKOUT_THRESHOLD,
              ...(device === undefined ? {} : { device: 'reconnu' }),
            },
          },
          now,
        );
      }
      throw lockedError(email, reservation.lockedUntil);
    }
    // A recognised browser's success does not lift the address's lock: strangers stay locked out.
    await throttle.clear(subject);
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
    return { sessionId: session.token, user, expiresAt, device: this.devices.issue(email) };
  }

  /**
   * Checks a signed-in user's password before a sensitive action (password change, key reveal), with
   * the same count as logins: after LOCKOUT_THRESHOLD wrong passwords the user's confirmations are
   * refused (RATE_LIMITED) for LOCKOUT_DURATION_MS, without checking the password.
   */
  async confirmPassword(user: UserRecord, password: string, now: Date): Promise<boolean> {
    const subject = `reauth:${user.id}`;
    const throttle = new LoginThrottleRepository(this.db);
    const reservation = await throttle.reserve(subject, now, LOGIN_POLICY);
    if (!reservation.allowed) {
      throw new AppError('RATE_LIMITED', `too many password confirmations for user ${user.id}`, {
        ...(reservation.lockedUntil ? { until: reservation.lockedUntil.toISOString() } : {}),
      });
    }
    const valid = await verifyPassword(user.passwordHash, password);
    if (valid) await throttle.clear(subject);
    return valid;
  }

  async logout(sessionIdHash: string): Promise<void> {
    await new SessionRepository(this.db).delete(sessionIdHash);
  }

  /** Changes a user's own password; ends their other sessions and revokes their personal API tokens. */
  async changePassword(
    user: UserRecord,
    current: string,
    next: string,
    now: Date,
    keepSessionIdHash?: string,
  ): Promise<void> {
    if (!(await this.confirmPassword(user, current, now))) {
      throw new AppError('INVALID_CREDENTIALS', 'the current password is wrong');
    }
    checkPasswordStrength(next, await passwordContextOf(this.db, user));
    const hash = await hashPassword(next);
    await this.db.transaction().execute(async (trx) => {
      await new UserRepository(trx).setPasswordHash(user.id, hash);
      await new SessionRepository(trx).deleteForUser(user.id, keepSessionIdHash);
      await new ApiTokenRepository(trx).revokeAllForUser(user.id, now);
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
