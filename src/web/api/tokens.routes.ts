import { Type } from '@sinclair/typebox';
import type { ApiTokenRecord } from '../../db/api-token.repository.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, IdParams } from './api-schemas.js';

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
      return (await ctx.tokens.list(user)).map(tokenView);
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
      const created = await ctx.tokens.create(user, request.body.name, now);
      return reply.code(201).send({
        id: created.id,
        name: request.body.name,
        prefix: created.prefix,
        createdAt: now.toISOString(),
        lastUsedAt: null,
        revokedAt: null,
        token: created.token,
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
      await ctx.tokens.revoke(user, request.params.id, ctx.clock.now());
      return reply.code(204).send(null);
    },
  );
};
