import type { FastifyRequest } from 'fastify';

/** Whether `text` holds a character a browser strips or reads as `/` in a URL: controls, spaces, backslash. */
function hasUnsafeCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

/**
 * Whether `target` is a path of this site: it starts with one `/` (`//host` and `/\host` name another
 * host to a browser) and holds no character a browser strips or rewrites before reading it.
 */
export function isLocalPath(target: string): boolean {
  return target.startsWith('/') && !target.startsWith('//') && !hasUnsafeCharacter(target);
}

/** `target` when it is a path of this site, else `fallback`: what a redirect built from input goes to. */
export function localPathOr(target: string | undefined, fallback: string): string {
  return target !== undefined && isLocalPath(target) ? target : fallback;
}

/**
 * The page the request came from, when the `Referer` is a page of this site (an absolute http(s) URL
 * of the request's own host whose path is a local path), else undefined. Only its path and query may
 * be used, e.g. to go back to a search after a form.
 */
export function sameSiteReferer(request: FastifyRequest): URL | undefined {
  const referer = request.headers.referer;
  if (!referer || !URL.canParse(referer)) return undefined;
  const url = new URL(referer);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.host !== request.host) return undefined;
  return isLocalPath(`${url.pathname}${url.search}`) ? url : undefined;
}
