import type { Clock } from '../clock.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { DatabaseHandle } from '../db/database.js';
import type { OperatorRecord } from '../db/operator.repository.js';
import { PublicationRunRepository, type PublicationRunRecord } from '../db/publication-run.repository.js';
import { SubscriptionRepository } from '../db/subscription.repository.js';
import { AppError } from '../domain/app-error.js';
import { FAST_ATTEMPTS } from '../domain/retry-policy.js';
import type { PublicationEngine } from './publication-engine.js';
import type { RunOutcome } from './runner.js';

/** A run with the entreprise and SIREN of its subscription (null when the subscription is gone). */
export interface OperatorRun {
  run: PublicationRunRecord;
  entrepriseId: number | null;
  siren: string | null;
}

/** Publication runs in trouble, for the distributor's operators: list them, run one again at once. */
export class OperatorRunsService {
  constructor(
    private readonly handle: Pick<DatabaseHandle, 'db' | 'engine'>,
    private readonly clock: Clock,
    private readonly publication: Pick<PublicationEngine, 'retryNow'>,
  ) {}

  /**
   * `failing`: not published after their fast attempts; `failed`: given up. Oldest window first, with
   * their subscriptions read in one query.
   */
  async listInTrouble(status: 'failing' | 'failed'): Promise<OperatorRun[]> {
    const runs = await this.runs().listInTrouble(status, FAST_ATTEMPTS);
    const subscriptions = await new SubscriptionRepository(this.handle.db).findMany(
      runs.map((run) => run.subscriptionId),
    );
    return runs.map((run) => {
      const subscription = subscriptions.get(run.subscriptionId);
      return { run, entrepriseId: subscription?.entrepriseId ?? null, siren: subscription?.siren ?? null };
    });
  }

  /**
   * Audits the operator's request, then runs a pending or failed run now with its original identity.
   * NOT_FOUND for an unknown run; RUN_NOT_RETRYABLE when it is done, empty or held by a worker.
   */
  async retry(operator: OperatorRecord, runId: number): Promise<{ outcome: RunOutcome; run: OperatorRun }> {
    const runs = this.runs();
    const run = await runs.find(runId);
    if (!run) throw new AppError('NOT_FOUND', `no publication run ${runId}`);
    if (run.status === 'done' || run.status === 'empty') {
      throw new AppError('RUN_NOT_RETRYABLE', `run ${run.id} is ${run.status}`);
    }
    const subscription = await new SubscriptionRepository(this.handle.db).find(run.subscriptionId);
    await new AuditRepository(this.handle.db).append(
      {
        actor: { type: 'operator', id: String(operator.id), label: operator.email },
        entrepriseId: subscription?.entrepriseId ?? null,
        action: 'publication.run.retried',
        target: `subscription:${run.subscriptionId}`,
        before: { runId: run.id, status: run.status, attempts: run.attempts, lastError: run.lastError },
        after: { numSequence: run.numSequence, windowStart: run.windowStart.toISOString() },
      },
      this.clock.now(),
    );
    const outcome = await this.publication.retryNow(run.id);
    if (!outcome) throw new AppError('RUN_NOT_RETRYABLE', `run ${run.id} is being run by a worker`);
    return {
      outcome,
      run: {
        run: (await runs.find(run.id))!,
        entrepriseId: subscription?.entrepriseId ?? null,
        siren: subscription?.siren ?? null,
      },
    };
  }

  private runs(): PublicationRunRepository {
    return new PublicationRunRepository(this.handle.db);
  }
}
