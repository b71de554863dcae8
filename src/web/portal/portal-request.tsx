import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toAppError } from '../../domain/app-error.js';
import type { Habilitation } from '../../domain/habilitations.js';
import type { ServiceActor } from '../../domain/service-actor.js';
import type { UserRecord } from '../../db/user.repository.js';
import { csrfTokenFor } from '../api/auth.routes.js';
import { frenchMessage } from '../error-messages.js';
import { currentUser } from '../guards.js';
import { Alert } from './components.js';
import { Layout, type LayoutProps, type PortalViewer } from './layout.js';
import type { PortalContext } from './portal-context.js';

/** The signed-in user of a portal page and what the frame shows of them. */
export interface PortalCaller {
  user: UserRecord;
  viewer: PortalViewer;
  actor: ServiceActor;
  can(habilitation: Habilitation): boolean;
}

/** What the frame needs besides the request: the entreprise's name. */
type FrameContext = Pick<PortalContext, 'entreprises'>;

/** The caller of a portal page, who must hold `needed`; throws UNAUTHENTICATED / FORBIDDEN_HABILITATION. */
export async function portalCaller(
  ctx: FrameContext,
  request: FastifyRequest,
  reply: FastifyReply,
  needed: Habilitation | 'READ' | null = 'READ',
): Promise<PortalCaller> {
  const user = currentUser(request, needed ?? undefined);
  const entrepriseName = await ctx.entreprises.nameOf(user.entrepriseId);
  return {
    user,
    viewer: {
      displayName: user.displayName,
      email: user.email,
      entrepriseName: entrepriseName ?? '',
      habilitations: user.habilitations,
      csrfToken: csrfTokenFor(request, reply),
    },
    actor: {
      type: 'user',
      id: String(user.id),
      label: user.email,
      entrepriseId: user.entrepriseId,
      habilitations: user.habilitations,
      sirenPerimeter: user.sirenPerimeter,
    },
    can: (habilitation) => user.habilitations.includes(habilitation),
  };
}

export async function sendPage(reply: FastifyReply, props: LayoutProps, status = 200): Promise<FastifyReply> {
  const html = await Layout(props);
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

type PageHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Wraps a portal page: an anonymous visitor is sent to the login page; a missing habilitation or an
 * unknown (or foreign) id shows a page in the frame with status 403 / 404, never a JSON body.
 */
export function portalPage(ctx: FrameContext, handler: PageHandler): PageHandler {
  return async (request, reply) => {
    try {
      return await handler(request, reply);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'UNAUTHENTICATED') return reply.redirect('/login', 303);
      const status =
        appError.code === 'NOT_FOUND'
          ? 404
          : ['FORBIDDEN_HABILITATION', 'CUSTOMER_ONLY'].includes(appError.code)
            ? 403
            : undefined;
      if (status === undefined || request.principal?.kind !== 'user') throw error;
      const caller = await portalCaller(ctx, request, reply, null).catch(() => undefined);
      return sendPage(
        reply,
        {
          title: status === 404 ? 'Page introuvable' : 'Accès refusé',
          viewer: caller?.viewer ?? null,
          children: (
            <Alert kind="error">
              <p safe>{frenchMessage(appError)}</p>
              <p>
                <a href="/portail">Retour à l'accueil</a>
              </p>
            </Alert>
          ),
        },
        status,
      );
    }
  };
}

/** A form body as @fastify/formbody parses it (repeated names give arrays). */
export type FormBody = Record<string, string | string[] | undefined>;

export function formOf(request: FastifyRequest): FormBody {
  return (request.body ?? {}) as FormBody;
}

export function field(body: FormBody, name: string): string {
  const value = body[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

export function fields(body: FormBody, name: string): string[] {
  const value = body[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  return request.query as Record<string, string | undefined>;
}

/** A numeric route id, or NOT_FOUND. */
export function idParam(request: FastifyRequest, name = 'id'): number {
  const raw = (request.params as Record<string, string | undefined>)[name] ?? '';
  if (!/^\d{1,12}$/.test(raw)) throw new AppError('NOT_FOUND', `bad id ${raw}`);
  return Number(raw);
}

/** The French message of an expected failure of a form, or rethrows anything unexpected. */
export function formError(error: unknown, expected: readonly string[]): AppError {
  const appError = toAppError(error);
  if (!expected.includes(appError.code)) throw error;
  return appError;
}
