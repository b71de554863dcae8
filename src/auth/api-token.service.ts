import { AuditRepository } from '../db/audit.repository.js';
import { ApiTokenRepository, type ApiTokenRecord } from '../db/api-token.repository.js';
import type { Db } from '../db/database.js';
import type { UserRecord } from '../db/user.repository.js';
import { AppError } from '../domain/app-error.js';
import { issueSecret } from './secret-token.js';

/** Prefix of personal API tokens, so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = 'pw_';

/** A token just created: its row and the token itself, which exists nowhere else afterwards. */
export interface CreatedApiToken {
  id: number;
  prefix: string;
  token: string;
}

/** A user's personal API tokens: create (audited, shown once), list, revoke (audited). */
export class ApiTokenService {
  constructor(private readonly db: Db) {}

  /** The user's tokens, live and revoked, never their secret. */
  list(user: UserRecord): Promise<ApiTokenRecord[]> {
    return new ApiTokenRepository(this.db).listForUser(user.id);
  }

  /** Creates a token and its audit entry in one transaction. */
  async create(user: UserRecord, name: string, now: Date): Promise<CreatedApiToken> {
    const secret = issueSecret(API_TOKEN_PREFIX);
    const id = await this.db.transaction().execute(async (trx) => {
      const tokenId = await new ApiTokenRepository(trx).insert(
        { userId: user.id },
        { name, hash: secret.hash, prefix: secret.prefix },
        now,
      );
      await new AuditRepository(trx).append(
        {
          actor: { type: 'user', id: String(user.id), label: user.email },
          entrepriseId: user.entrepriseId,
          action: 'api_token.created',
          target: `api_token:${tokenId}`,
          after: { name, prefix: secret.prefix },
        },
        now,
      );
      return tokenId;
    });
    return { id, prefix: secret.prefix, token: secret.token };
  }

  /** Revokes a live token of the user and audits it in one transaction; NOT_FOUND for any other id. */
  async revoke(user: UserRecord, id: number, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const revoked = await new ApiTokenRepository(trx).revokeForUser(user.id, id, now);
      if (!revoked) throw new AppError('NOT_FOUND', `no live token ${id} of this user`);
      await new AuditRepository(trx).append(
        {
          actor: { type: 'user', id: String(user.id), label: user.email },
          entrepriseId: user.entrepriseId,
          action: 'api_token.revoked',
          target: `api_token:${id}`,
        },
        now,
      );
    });
  }
}
