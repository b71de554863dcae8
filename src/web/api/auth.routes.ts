import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashSecret } from '../../auth/secret-token.js';
import { AppError } from '../../domain/app-error.js';
import { UserManagementService } from '../../users/user-management.service.js';
import { csrfBindingOf } from '../csrf-binding.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody, UserView, userView } from './api-schemas.js';

/** Login attempts per client address and minute, on top of the per-account lock-out. */
export const LOGIN_RATE_LIMIT = { max: 20, timeWindow: '1 minute' } as const;

/** The device token of the browser's last successful login (see `DeviceTokens`). */
export const DEVICE_COOKIE = 'publiwatt_device';
const DEVICE_TOKEN_LIFETIME_MS = 180 * 24 * 60 * 60 * 1000;

/** Sets the device token cookie after a successful login: HttpOnly, scoped to the login routes. */
export function setDeviceCookie(reply: FastifyReply, token: string, now: Date): void {
  reply.setCookie(DEVICE_COOKIE, token, {
    ...sessionCookieOptions(new Date(now.getTime() + DEVICE_TOKEN_LIFETIME_MS)),
    sameSite: 'strict',
  });
}

export function sessionCookieOptions(expires?: Date) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    // Secure whenever the request came over HTTPS (directly or through a TLS proxy: trustProxy).
    secure: 'auto' as const,
    ...(expires ? { expires } : {}),
  };
}

/** A CSRF token bound to the caller's session (empty binding before login). */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply): string {
  return reply.generateCsrf({ userInfo: csrfBindingOf(request) });
}

const Me = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('operator')]),
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
  user: Type.Optional(UserView),
  operator: Type.Optional(Type.Object({ id: Type.Integer(), email: Type.String() })),
  csrfToken: Type.Optional(
    Type.String({ description: 'send it as x-csrf-token on cookie-authenticated writes' }),
  ),
});

export const authRoutes: ApiRouteModule = (app, ctx) => {
  const logins = ctx.logins;

  app.post(
    '/auth/login',
    {
      config: { rateLimit: LOGIN_RATE_LIMIT },
      schema: {
        tags: ['auth'],
        summary: 'Log in with e-mail and password; sets the session cookie',
        body: Type.Object({
          email: Type.String({ maxLength: 320 }),
          password: Type.String({ maxLength: 1024 }),
        }),
        response: {
          200: Type.Object({
            user: UserView,
            csrfToken: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
          }),
          401: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const now = ctx.clock.now();
      const session = await logins.login(
        request.body.email,
        request.body.password,
        now,
        request.cookies[DEVICE_COOKIE],
      );
      reply.setCookie(ctx.sessionCookie, session.sessionId, sessionCookieOptions(session.expiresAt));
      setDeviceCookie(reply, session.device, now);
      const csrfToken = reply.generateCsrf({ userInfo: hashSecret(session.sessionId) });
      return { user: userView(session.user), csrfToken, expiresAt: session.expiresAt.toISOString() };
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the portal session (CSRF token required)',
        response: { 204: Type.Null(), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.kind === 'user' && principal.via === 'session')
        await logins.logout(principal.sessionIdHash);
      reply.clearCookie(ctx.sessionCookie, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who is calling; with a session, a fresh CSRF token',
        response: { 200: Me, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw new AppError('UNAUTHENTICATED', 'authentication required');
      if (principal.kind === 'operator') {
        return {
          kind: 'operator' as const,
          via: principal.via,
          operator: { id: principal.operator.id, email: principal.operator.email },
        };
      }
      return {
        kind: 'user' as const,
        via: principal.via,
        user: userView(principal.user),
        ...(principal.via === 'session' ? { csrfToken: csrfTokenFor(request, reply) } : {}),
      };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { rateLimit: LOGIN_RATE_LIMIT },
      schema: {
        tags: ['auth'],
        summary: "Change one's own password (ends the other sessions)",
        body: Type.Object({
          currentPassword: Type.String({ maxLength: 1024 }),
          newPassword: Type.String({ maxLength: 1024 }),
        }),
        response: { 204: Type.Null(), 400: ErrorBody, 429: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const principal = request.principal;
      const keep =
        principal?.kind === 'user' && principal.via === 'session' ? principal.sessionIdHash : undefined;
      await logins.changePassword(
        user,
        request.body.currentPassword,
        request.body.newPassword,
        ctx.clock.now(),
        keep,
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/invitation',
    {
      config: { rateLimit: LOGIN_RATE_LIMIT },
      schema: {
        tags: ['auth'],
        summary: 'Accept an invitation: choose a password with the token of the link',
        body: Type.Object({
          token: Type.String({ maxLength: 200 }),
          password: Type.String({ maxLength: 1024 }),
        }),
        response: { 204: Type.Null(), 400: ErrorBody },
      },
    },
    async (request, reply) => {
      await new UserManagementService(ctx.db, ctx.mailer).acceptInvitation(
        request.body.token,
        request.body.password,
        ctx.clock.now(),
      );
      return reply.code(204).send(null);
    },
  );
};
