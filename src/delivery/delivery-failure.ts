import { AppError } from '../domain/app-error.js';

/**
 * What a customer is told when a channel test or a delivery fails: a fixed category in French, never the
 * remote server's reply nor a system error code. Replies and codes would let a customer map the network
 * behind Publiwatt (closed port, silent port, SSH or database behind it); the raw error goes to the
 * operator's log only.
 */
export type FailureCategory =
  | 'address-refused'
  | 'not-found'
  | 'unreachable'
  | 'authentication'
  | 'permission'
  | 'tls'
  | 'host-key'
  | 'transfer';

export const FAILURE_TEXT: Readonly<Record<FailureCategory, string>> = {
  'address-refused': 'adresse non autorisée (réseau local, privé ou réservé)',
  'not-found': 'serveur introuvable',
  unreachable: 'connexion refusée ou serveur injoignable',
  authentication: 'authentification refusée',
  permission: 'droits insuffisants sur le dossier',
  tls: 'erreur TLS',
  'host-key': 'clé d’hôte différente de celle enregistrée au premier test',
  transfer: 'transfert interrompu',
};

export function isFailureCategory(value: unknown): value is FailureCategory {
  return typeof value === 'string' && Object.hasOwn(FAILURE_TEXT, value);
}

/**
 * A failed connection or transfer: `detail` (English, with the raw cause) is for the operator's log,
 * `params.reason` is the customer's text.
 */
export function deliveryFailure(category: FailureCategory, detail: string, cause?: unknown): AppError {
  return new AppError(
    category === 'host-key' ? 'HOST_KEY_MISMATCH' : 'DELIVERY_FAILED',
    detail,
    { category, reason: FAILURE_TEXT[category] },
    { cause },
  );
}

/** The category an AppError carries, if it came from a transport or the outbound policy. */
export function failureCategoryOf(error: AppError): FailureCategory | undefined {
  const category = error.params.category;
  return isFailureCategory(category) ? category : undefined;
}

/** The one-line French text stored on a delivery and shown to the customer for a failed attempt. */
export function customerFailureText(error: AppError): string {
  const category = failureCategoryOf(error);
  if (category) return FAILURE_TEXT[category];
  if (error.code === 'HOST_KEY_MISMATCH') return FAILURE_TEXT['host-key'];
  if ((error.code === 'DELIVERY_FAILED' || error.code === 'CHANNEL_INVALID') && error.params.reason) {
    return String(error.params.reason);
  }
  if (error.code === 'NOT_FOUND') return 'canal supprimé';
  return 'erreur interne de Publiwatt';
}

/** Sentence case for a step of a test report. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL']);

/** A TLS failure: certificate checks and handshake errors. */
export function isTlsError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; library?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL_)/.test(code) ||
    e.library === 'SSL routines' ||
    /certificate|self[- ]signed|\bTLS\b|\bSSL\b|handshake failure|wrong version number/i.test(message)
  );
}

/**
 * The category of an error met while connecting (before the server accepted the login), from what
 * every protocol shares: names that do not resolve, then TLS; anything else is "refused or unreachable",
 * so a closed port, a silent one and a server speaking another protocol look the same.
 */
export function connectFailureCategory(error: unknown): FailureCategory {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NOT_FOUND_CODES.has(code)) return 'not-found';
  if (isTlsError(error)) return 'tls';
  return 'unreachable';
}

/** An error's message on one line, for the operator's log. */
export function rawMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const text = message.replace(/\s+/g, ' ').trim();
  return code !== undefined && !text.includes(String(code)) ? `${text} (${String(code)})` : text;
}
