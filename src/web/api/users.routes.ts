import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { UserManagementService } from '../../users/user-management.service.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import {
  AUTH_ERRORS,
  ErrorBody,
  HabilitationSchema,
  IdParams,
  SirenPerimeter,
  UserView,
  userView,
} from './api-schemas.js';

/** Base URL of links sent by e-mail: the address the caller used to reach the server. */
function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** Users of the caller's entreprise and their habilitations (GESTION_UTILISATEURS only). */
export const userRoutes: ApiRouteModule = (app, ctx) => {
  const service = new UserManagementService(ctx.db, ctx.mailer);

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Users of my entreprise',
        response: { 200: Type.Array(UserView), ...AUTH_ERRORS },
      },
    },
    async (request) => (await service.list(currentUser(request))).map(userView),
  );

  app.get(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'One user',
        params: IdParams,
        response: { 200: UserView, ...AUTH_ERRORS },
      },
    },
    async (request) => userView(await service.get(currentUser(request), request.params.id)),
  );

  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user: with an initial password, or an invitation link sent by e-mail',
        description:
          "An address already used in the caller's entreprise answers 409 EMAIL_TAKEN. An address used in " +
          'another entreprise gets the same 201 answer as an invitation, creates nothing, and its owner ' +
          'is told by e-mail (docs/api.md, "Creating users").',
        body: Type.Object({
          email: Type.String({
            maxLength: 320,
            description:
              'one address, trimmed and lower-cased by the server: local@domain.tld, no spaces, no list, ' +
              'no display name, at most 254 characters (else 400 INVALID_EMAIL)',
          }),
          displayName: Type.String({ minLength: 1, maxLength: 200 }),
          habilitations: Type.Array(HabilitationSchema, { uniqueItems: true }),
          sirenPerimeter: Type.Optional(SirenPerimeter),
          password: Type.Optional(
            Type.String({
              maxLength: 1024,
              description:
                'at least 12 characters and hard to guess (zxcvbn score 3 or more, the address, name and ' +
                'entreprise counting as known words), else 400 WEAK_PASSWORD',
            }),
          ),
        }),
        response: { 201: UserView, 400: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const user = await service.create(
        currentUser(request),
        {
          email: body.email,
          displayName: body.displayName,
          habilitations: body.habilitations,
          sirenPerimeter: body.sirenPerimeter ?? null,
          ...(body.password !== undefined ? { password: body.password } : {}),
        },
        ctx.clock.now(),
        baseUrlOf(request),
      );
      return reply.code(201).send(userView(user));
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change habilitations, SIREN perimeter, or deactivate (active: false)',
        params: IdParams,
        body: Type.Object({
          habilitations: Type.Optional(Type.Array(HabilitationSchema, { uniqueItems: true })),
          sirenPerimeter: Type.Optional(SirenPerimeter),
          active: Type.Optional(Type.Boolean()),
        }),
        response: { 200: UserView, 400: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const body = request.body;
      const user = await service.update(
        currentUser(request),
        request.params.id,
        {
          ...(body.habilitations !== undefined ? { habilitations: body.habilitations } : {}),
          ...(body.sirenPerimeter !== undefined ? { sirenPerimeter: body.sirenPerimeter } : {}),
          ...(body.active !== undefined ? { active: body.active } : {}),
        },
        ctx.clock.now(),
      );
      return userView(user);
    },
  );
};
