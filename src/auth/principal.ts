import type { OperatorRecord } from '../db/operator.repository.js';
import type { UserRecord } from '../db/user.repository.js';

/** Who is calling: a customer user (portal session or personal token) or an operator (token). */
export type Principal =
  | { kind: 'user'; user: UserRecord; via: 'session'; sessionIdHash: string }
  | { kind: 'user'; user: UserRecord; via: 'token'; tokenId: number }
  | { kind: 'operator'; operator: OperatorRecord; via: 'token'; tokenId: number };
