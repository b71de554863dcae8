import { isIP } from 'node:net';
import { AppError } from '../domain/app-error.js';

/**
 * Which peers may tell the client's address in `X-Forwarded-For` (Fastify's `trustProxy`): none
 * (`false`: the socket address is the client), the number of proxy hops in front of the server, or the
 * proxies' addresses and CIDR ranges (plus proxy-addr's names `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustedProxies = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 10;

function invalid(variable: string, reason: string): AppError {
  return new AppError('INVALID_CONFIGURATION', `${variable}: ${reason}`, { variable, reason });
}

function checkEntry(entry: string, variable: string): string {
  if (NAMED_RANGES.has(entry)) return entry;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
  if (family === 0 || !prefixOk || extra !== undefined) {
    throw invalid(
      variable,
      `"${entry}" is neither an IP address, a CIDR range (10.0.0.0/8, fd00::/8), loopback, linklocal nor uniquelocal`,
    );
  }
  return entry;
}

/** `PUBLIWATT_TRUSTED_PROXIES`: unset or empty trusts no proxy; `2` trusts two hops; else a list. */
export function parseTrustedProxies(
  value: string | undefined,
  variable = 'PUBLIWATT_TRUSTED_PROXIES',
): TrustedProxies {
  const text = value?.trim() ?? '';
  if (text === '') return false;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) throw invalid(variable, `${text} hops: at most ${MAX_HOPS}`);
    return hops === 0 ? false : hops;
  }
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) throw invalid(variable, `"${text}" has an empty entry`);
  return entries.map((entry) => checkEntry(entry, variable));
}

/** Fastify's `trustProxy` for a setting (a hop count becomes proxy-addr's `hop < n` function). */
export function trustProxyOption(
  trusted: TrustedProxies | undefined,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trusted === undefined || trusted === false) return false;
  if (typeof trusted === 'number') return (_address, hop) => hop < trusted;
  return trusted;
}
