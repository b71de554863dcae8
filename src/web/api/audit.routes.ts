import { Type } from '@sinclair/typebox';
import { auditEntriesInScope } from '../../auth/audit-scope.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS } from './api-schemas.js';

const AuditEntryView = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({
    type: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    label: Type.String(),
  }),
  action: Type.String(),
  target: Type.String(),
  before: Type.Optional(Type.Unknown()),
  after: Type.Optional(Type.Unknown()),
});

/** The audit log of the caller's entreprise, within its perimeter, newest first (GESTION_UTILISATEURS). */
export const auditRoutes: ApiRouteModule = (app, ctx) => {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit log of my entreprise: who, when, what, before and after',
        querystring: Type.Object({
          action: Type.Optional(Type.String({ maxLength: 100, description: 'prefix, e.g. subscription.' })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: { 200: Type.Array(AuditEntryView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_UTILISATEURS');
      const entries = await auditEntriesInScope(ctx.db, user, {
        ...(request.query.action ? { action: request.query.action } : {}),
        limit: request.query.limit,
        offset: request.query.offset,
      });
      return entries.map((e) => ({
        id: e.id,
        at: e.at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        before: e.before,
        after: e.after,
      }));
    },
  );
};
