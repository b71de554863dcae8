import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LoginService } from '../../auth/login.service.js';
import { toAppError } from '../../domain/app-error.js';
import { UserManagementService } from '../../users/user-management.service.js';
import type { ApiContext } from '../api/api-context.js';
import { LOGIN_RATE_LIMIT, csrfTokenFor, sessionCookieOptions } from '../api/auth.routes.js';
import { frenchMessage } from '../error-messages.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Publiwatt</title></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function loginForm(csrf: string, error?: string, email = ''): string {
  return page(
    'Connexion',
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">
<p><label for="email">Adresse e-mail</label><br><input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}"></p>
<p><label for="password">Mot de passe</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Se connecter</button></p>
</form>`,
  );
}

function invitationForm(csrf: string, token: string, error?: string): string {
  return page(
    'Choisir votre mot de passe',
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/invitation">
<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="jeton" value="${escapeHtml(token)}">
<p><label for="password">Nouveau mot de passe (12 caractères au moins)</label><br><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required></p>
<p><button type="submit">Enregistrer</button></p>
</form>`,
  );
}

function sendHtml(reply: FastifyReply, status: number, html: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

type FormBody = Record<string, string | undefined>;

/**
 * Minimal French pages to log in and to accept an invitation (the portal pages come later). Both
 * forms carry a CSRF token, checked before anything else.
 */
export function registerLoginPageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const logins = new LoginService(ctx.db);

  app.get('/login', { schema: { hide: true } }, (request, reply) =>
    sendHtml(reply, 200, loginForm(csrfTokenFor(request, reply))),
  );

  app.post(
    '/login',
    { schema: { hide: true }, config: { rateLimit: LOGIN_RATE_LIMIT }, preHandler: app.csrfProtection },
    async (request: FastifyRequest, reply) => {
      const body = (request.body ?? {}) as FormBody;
      const email = body.email ?? '';
      try {
        const session = await logins.login(email, body.password ?? '', ctx.clock.now());
        reply.setCookie(ctx.sessionCookie, session.sessionId, sessionCookieOptions(session.expiresAt));
        return reply.redirect('/', 303);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code !== 'INVALID_CREDENTIALS' && appError.code !== 'ACCOUNT_LOCKED') throw error;
        const status = appError.code === 'ACCOUNT_LOCKED' ? 429 : 401;
        return sendHtml(
          reply,
          status,
          loginForm(csrfTokenFor(request, reply), frenchMessage(appError), email),
        );
      }
    },
  );

  app.get('/invitation', { schema: { hide: true } }, (request, reply) => {
    const token = String((request.query as FormBody).jeton ?? '');
    return sendHtml(reply, 200, invitationForm(csrfTokenFor(request, reply), token));
  });

  app.post(
    '/invitation',
    { schema: { hide: true }, config: { rateLimit: LOGIN_RATE_LIMIT }, preHandler: app.csrfProtection },
    async (request: FastifyRequest, reply) => {
      const body = (request.body ?? {}) as FormBody;
      const token = body.jeton ?? '';
      try {
        await new UserManagementService(ctx.db, ctx.mailer).acceptInvitation(
          token,
          body.password ?? '',
          ctx.clock.now(),
        );
        return reply.redirect('/login', 303);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code !== 'INVALID_INVITATION' && appError.code !== 'WEAK_PASSWORD') throw error;
        return sendHtml(
          reply,
          400,
          invitationForm(csrfTokenFor(request, reply), token, frenchMessage(appError)),
        );
      }
    },
  );
}
