import { ApiTokenRepository } from '../db/api-token.repository.js';
import type { Db } from '../db/database.js';
import { OperatorRepository } from '../db/operator.repository.js';
import { SessionRepository } from '../db/session.repository.js';
import { UserRepository } from '../db/user.repository.js';
import type { Principal } from './principal.js';
import { hashSecret } from './secret-token.js';

/**
 * Resolves the caller from a bearer token (preferred when both are present) or a session id.
 * Revoked tokens, expired sessions and deactivated accounts resolve to nobody.
 */
export async function authenticate(
  db: Db,
  credentials: { bearer?: string; sessionId?: string },
  now: Date,
): Promise<Principal | undefined> {
  if (credentials.bearer !== undefined) {
    const tokens = new ApiTokenRepository(db);
    const token = await tokens.findActiveByHash(hashSecret(credentials.bearer));
    if (!token) return undefined;
    if (token.userId !== null) {
      const user = await new UserRepository(db).find(token.userId);
      if (!user?.active) return undefined;
      await tokens.touch(token.id, now);
      return { kind: 'user', user, via: 'token', tokenId: token.id };
    }
    const operator =
      token.operatorId === null ? undefined : await new OperatorRepository(db).find(token.operatorId);
    if (!operator?.active) return undefined;
    await tokens.touch(token.id, now);
    return { kind: 'operator', operator, via: 'token', tokenId: token.id };
  }
  if (credentials.sessionId !== undefined) {
    const idHash = hashSecret(credentials.sessionId);
    const session = await new SessionRepository(db).findLive(idHash, now);
    if (!session) return undefined;
    const user = await new UserRepository(db).find(session.userId);
    if (!user?.active) return undefined;
    return { kind: 'user', user, via: 'session', sessionIdHash: idHash };
  }
  return undefined;
}
