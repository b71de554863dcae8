import { requireSirenInScope } from '../auth/tenant-scope.js';
import type { Db } from '../db/database.js';
import { SubscriptionRepository, type SubscriptionRecord } from '../db/subscription.repository.js';
import type { UserRecord } from '../db/user.repository.js';
import { AppError } from '../domain/app-error.js';
import type { FormatChange } from '../domain/subscription-rules.js';

/** One subscription as a user reaches it by id (API and portal), and its format history. */
export class SubscriptionLookupService {
  constructor(private readonly db: Db) {}

  /**
   * A subscription (live or ended) of the user's entreprise, of a SIREN within the user's perimeter;
   * anything else, another entreprise's included, is NOT_FOUND.
   */
  async findVisible(user: UserRecord, id: number): Promise<SubscriptionRecord> {
    const subscription = await new SubscriptionRepository(this.db).findInEntreprise(user.entrepriseId, id);
    if (!subscription) throw new AppError('NOT_FOUND', `no subscription ${id} here`);
    await requireSirenInScope(this.db, user, subscription.siren);
    return subscription;
  }

  /** Formats of a subscription over time, oldest first (the caller found it visible). */
  formatHistory(subscriptionId: number): Promise<FormatChange[]> {
    return new SubscriptionRepository(this.db).formatHistory(subscriptionId);
  }
}
