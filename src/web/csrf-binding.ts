import type { FastifyRequest } from 'fastify';

/**
 * What a CSRF token is bound to: the session (its hash), or `anonymous` before login (the login and
 * invitation forms). A token minted for one session is refused in another.
 */
export function csrfBindingOf(request: FastifyRequest): string {
  const principal = request.principal;
  return principal?.kind === 'user' && principal.via === 'session' ? principal.sessionIdHash : 'anonymous';
}
