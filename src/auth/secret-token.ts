import { createHash, randomBytes } from 'node:crypto';

/** A random secret handed out once (session id, API token, invitation) and its stored SHA-256. */
export interface IssuedSecret {
  token: string;
  hash: string;
  /** The first characters, safe to show in listings. */
  prefix: string;
}

/** 32 random bytes, base64url, behind a readable prefix (`pw_` for API tokens). */
export function issueSecret(prefix = ''): IssuedSecret {
  const token = `${prefix}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecret(token), prefix: token.slice(0, prefix.length + 6) };
}

/** Secrets are high-entropy, so a plain SHA-256 is enough (no salt or slow hash needed). */
export function hashSecret(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
