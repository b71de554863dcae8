import type {} from '@fastify/cookie';
import type {} from '@fastify/csrf-protection';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../domain/app-error.js';
import { requireHabilitation } from '../domain/habilitation-rules.js';
import type { Habilitation } from '../domain/habilitations.js';
import type { OperatorRecord } from '../db/operator.repository.js';
import type { UserRecord } from '../db/user.repository.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by the server's onRequest hook; undefined when anonymous. */
    principal: Principal | undefined;
  }
}

/**
 * The calling customer user, who must hold `needed` (`READ` = CONSULTATION or either management
 * right). Anonymous → 401; an operator → 403 (operators are not customer users).
 */
export function currentUser(request: FastifyRequest, needed?: Habilitation | 'READ'): UserRecord {
  const principal = request.principal;
  if (!principal) throw new AppError('UNAUTHENTICATED', 'authentication required');
  if (principal.kind !== 'user') throw new AppError('CUSTOMER_ONLY', 'operators are not customer users');
  if (needed !== undefined) requireHabilitation(principal.user.habilitations, needed);
  return principal.user;
}

/** The calling operator. Anonymous → 401; a customer user → 403. */
export function currentOperator(request: FastifyRequest): OperatorRecord {
  const principal = request.principal;
  if (!principal) throw new AppError('UNAUTHENTICATED', 'authentication required');
  if (principal.kind !== 'operator') throw new AppError('OPERATOR_ONLY', 'operator route');
  return principal.operator;
}

/** preHandler for operator-only routes (registry import, measurement ingestion, all deliveries). */
export function requireOperator(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  currentOperator(request);
  return Promise.resolve();
}
