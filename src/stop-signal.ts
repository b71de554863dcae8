/**
 * How long-running work learns that its process is stopping, in two steps. `draining`: take no more
 * work (claim nothing, give back what was claimed and not started). `cancelled`, once the grace has run
 * out: abort what is in flight and give it back. `cancelled` never comes before `draining`.
 */
export interface StopSignal {
  readonly draining: AbortSignal;
  readonly cancelled: AbortSignal;
}

/** Drives a StopSignal: `drain()` when the stop is asked, `cancel()` when the grace is over. */
export class StopController implements StopSignal {
  private readonly drain$ = new AbortController();
  private readonly cancel$ = new AbortController();

  get draining(): AbortSignal {
    return this.drain$.signal;
  }

  get cancelled(): AbortSignal {
    return this.cancel$.signal;
  }

  drain(): void {
    this.drain$.abort();
  }

  cancel(): void {
    this.drain$.abort();
    this.cancel$.abort();
  }
}

/** For work nobody stops: one-shot commands, tests. */
export const NEVER_STOPPED: StopSignal = new StopController();
