import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UserManagementService } from '../../../users/user-management.service.js';
import {
  DEVICE_COOKIE,
  LOGIN_RATE_LIMIT,
  csrfTokenFor,
  sessionCookieOptions,
  setDeviceCookie,
} from '../../api/auth.routes.js';
import { frenchMessage } from '../../error-messages.js';
import { Alert } from '../components.js';
import type { PortalContext } from '../portal-context.js';
import { field, formError, formOf, portalCaller, portalPage, sendPage } from '../portal-request.js';

function LoginForm(props: { csrf: string; email?: string; error?: string }): JSX.Element {
  return (
    <>
      {props.error ? (
        <Alert kind="error">
          <span safe>{props.error}</span>
        </Alert>
      ) : (
        ''
      )}
      <form method="post" action="/login" class="stack card narrow">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <div class="field">
          <label for="email">Adresse e-mail</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="username"
            required
            value={props.email ?? ''}
            autofocus
          />
        </div>
        <div class="field">
          <label for="password">Mot de passe</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <div class="actions">
          <button type="submit">Se connecter</button>
        </div>
      </form>
    </>
  );
}

function InvitationForm(props: { csrf: string; token: string; error?: string }): JSX.Element {
  return (
    <>
      {props.error ? (
        <Alert kind="error">
          <span safe>{props.error}</span>
        </Alert>
      ) : (
        ''
      )}
      <form method="post" action="/invitation" class="stack card narrow">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="jeton" value={props.token} />
        <div class="field">
          <label for="password">Nouveau mot de passe</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            minlength="12"
            required
            aria-describedby="password-hint"
          />
          <span class="hint" id="password-hint">
            12 caractères au moins et difficile à deviner : une phrase de plusieurs mots sans rapport entre
            eux est sûre et facile à retenir. N'y mettez ni votre adresse e-mail, ni votre nom, ni celui de
            votre entreprise.
          </span>
        </div>
        <div class="actions">
          <button type="submit">Enregistrer</button>
        </div>
      </form>
    </>
  );
}

function AccountForm(props: { csrf: string; error?: string; done?: boolean }): JSX.Element {
  return (
    <>
      {props.error ? (
        <Alert kind="error">
          <span safe>{props.error}</span>
        </Alert>
      ) : (
        ''
      )}
      {props.done ? <Alert kind="success">Votre mot de passe a été modifié.</Alert> : ''}
      <h2>Changer de mot de passe</h2>
      <form method="post" action="/portail/compte" class="stack card narrow">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <div class="field">
          <label for="current">Mot de passe actuel</label>
          <input id="current" name="current" type="password" autocomplete="current-password" required />
        </div>
        <div class="field">
          <label for="next">Nouveau mot de passe</label>
          <input
            id="next"
            name="next"
            type="password"
            autocomplete="new-password"
            minlength="12"
            required
            aria-describedby="next-hint"
          />
          <span class="hint" id="next-hint">
            12 caractères au moins et difficile à deviner : une phrase de plusieurs mots sans rapport entre
            eux est sûre et facile à retenir. N'y mettez ni votre adresse e-mail, ni votre nom, ni celui de
            votre entreprise. Vos autres sessions seront fermées.
          </span>
        </div>
        <div class="actions">
          <button type="submit">Changer le mot de passe</button>
        </div>
      </form>
    </>
  );
}

/**
 * Connexion, déconnexion, invitation and "Mon compte". The anonymous forms carry a CSRF token bound to
 * no session, checked before anything else; after login the user lands on the portal's home page.
 */
export function registerLoginPages(app: FastifyInstance, ctx: PortalContext): void {
  const logins = ctx.logins;

  app.get('/login', { schema: { hide: true } }, (request, reply) => {
    if (request.principal?.kind === 'user') return reply.redirect('/portail', 303);
    return sendPage(reply, {
      title: 'Connexion',
      viewer: null,
      children: <LoginForm csrf={csrfTokenFor(request, reply)} />,
    });
  });

  app.post(
    '/login',
    { schema: { hide: true }, config: { rateLimit: LOGIN_RATE_LIMIT }, preHandler: app.csrfProtection },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = formOf(request);
      const email = field(body, 'email');
      try {
        const now = ctx.clock.now();
        const session = await logins.login(
          email,
          field(body, 'password'),
          now,
          request.cookies[DEVICE_COOKIE],
        );
        reply.setCookie(ctx.sessionCookie, session.sessionId, sessionCookieOptions(session.expiresAt));
        setDeviceCookie(reply, session.device, now);
        return reply.redirect('/portail', 303);
      } catch (error) {
        const appError = formError(error, ['INVALID_CREDENTIALS', 'ACCOUNT_LOCKED']);
        return sendPage(
          reply,
          {
            title: 'Connexion',
            viewer: null,
            children: (
              <LoginForm csrf={csrfTokenFor(request, reply)} email={email} error={frenchMessage(appError)} />
            ),
          },
          appError.code === 'ACCOUNT_LOCKED' ? 429 : 401,
        );
      }
    },
  );

  // Behind the server's CSRF hook like every cookie-authenticated write.
  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    const principal = request.principal;
    if (principal?.kind === 'user' && principal.via === 'session')
      await logins.logout(principal.sessionIdHash);
    reply.clearCookie(ctx.sessionCookie, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get('/invitation', { schema: { hide: true } }, (request, reply) => {
    const token = String((request.query as Record<string, unknown>).jeton ?? '');
    return sendPage(reply, {
      title: 'Choisir votre mot de passe',
      viewer: null,
      children: <InvitationForm csrf={csrfTokenFor(request, reply)} token={token} />,
    });
  });

  app.post(
    '/invitation',
    { schema: { hide: true }, config: { rateLimit: LOGIN_RATE_LIMIT }, preHandler: app.csrfProtection },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = formOf(request);
      const token = field(body, 'jeton');
      try {
        await new UserManagementService(ctx.db, ctx.mailer).acceptInvitation(
          token,
          field(body, 'password'),
          ctx.clock.now(),
        );
        return reply.redirect('/login', 303);
      } catch (error) {
        const appError = formError(error, ['INVALID_INVITATION', 'WEAK_PASSWORD']);
        return sendPage(
          reply,
          {
            title: 'Choisir votre mot de passe',
            viewer: null,
            children: (
              <InvitationForm
                csrf={csrfTokenFor(request, reply)}
                token={token}
                error={frenchMessage(appError)}
              />
            ),
          },
          400,
        );
      }
    },
  );

  app.get(
    '/portail/compte',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, null);
      return sendPage(reply, {
        title: 'Mon compte',
        viewer: caller.viewer,
        current: '/portail/compte',
        children: (
          <>
            <dl class="details card">
              <dt>Nom</dt>
              <dd safe>{caller.user.displayName}</dd>
              <dt>Adresse e-mail</dt>
              <dd safe>{caller.user.email}</dd>
            </dl>
            <AccountForm
              csrf={caller.viewer.csrfToken}
              done={(request.query as Record<string, unknown>).ok === '1'}
            />
          </>
        ),
      });
    }),
  );

  app.post(
    '/portail/compte',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, null);
      const body = formOf(request);
      const principal = request.principal;
      const keep =
        principal?.kind === 'user' && principal.via === 'session' ? principal.sessionIdHash : undefined;
      try {
        await logins.changePassword(
          caller.user,
          field(body, 'current'),
          field(body, 'next'),
          ctx.clock.now(),
          keep,
        );
        return reply.redirect('/portail/compte?ok=1', 303);
      } catch (error) {
        const appError = formError(error, ['INVALID_CREDENTIALS', 'WEAK_PASSWORD', 'RATE_LIMITED']);
        return sendPage(
          reply,
          {
            title: 'Mon compte',
            viewer: caller.viewer,
            children: <AccountForm csrf={caller.viewer.csrfToken} error={frenchMessage(appError)} />,
          },
          400,
        );
      }
    }),
  );
}
