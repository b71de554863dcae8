import { Type } from '@sinclair/typebox';
import { issueSecret } from '../../auth/secret-token.js';
import { AppError } from '../../domain/app-error.js';
import { ApiTokenRepository, type ApiTokenRecord } from '../../db/api-token.repository.js';
import { AuditRepository } from '../../db/audit.repository.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, IdParams } from './api-schemas.js';

/** Prefix of personal API tokens, so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = 'pw_';

const TokenView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String({ description: 'first characters of the token' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function tokenView(token: ApiTokenRecord) {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}

/** Personal API tokens of the calling user: create (shown once), list, revoke. */
export const tokenRoutes: ApiRouteModule = (app, ctx) => {
  app.get(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'My API tokens (never the secret)',
        response: { 200: Type.Array(TokenView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request);
      return (await new ApiTokenRepository(ctx.db).listForUser(user.id)).map(tokenView);
    },
  );

  app.post(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the token is in this answer only',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 201: Type.Composite([TokenView, Type.Object({ token: Type.String() })]), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const now = ctx.clock.now();
      const secret = issueSecret(API_TOKEN_PREFIX);
      const id = await ctx.db.transaction().execute(async (trx) => {
        const tokenId = await new ApiTokenRepository(trx).insert(
          { userId: user.id },
          { name: request.body.name, hash: secret.hash, prefix: secret.prefix },
          now,
        );
        await new AuditRepository(trx).append(
          {
            actor: { type: 'user', id: String(user.id), label: user.email },
            entrepriseId: user.entrepriseId,
            action: 'api_token.created',
            target: `api_token:${tokenId}`,
            after: { name: request.body.name, prefix: secret.prefix },
          },
          now,
        );
        return tokenId;
      });
      return reply.code(201).send({
        id,
        name: request.body.name,
        prefix: secret.prefix,
        createdAt: now.toISOString(),
        lastUsedAt: null,
        revokedAt: null,
        token: secret.token,
      });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke one of my API tokens',
        params: IdParams,
        response: { 204: Type.Null(), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const now = ctx.clock.now();
      await ctx.db.transaction().execute(async (trx) => {
        const revoked = await new ApiTokenRepository(trx).revokeForUser(user.id, request.params.id, now);
        if (!revoked) throw new AppError('NOT_FOUND', `no live token ${request.params.id} of this user`);
        await new AuditRepository(trx).append(
          {
            actor: { type: 'user', id: String(user.id), label: user.email },
            entrepriseId: user.entrepriseId,
            action: 'api_token.revoked',
            target: `api_token:${request.params.id}`,
          },
          now,
        );
      });
      return reply.code(204).send(null);
    },
  );
};
