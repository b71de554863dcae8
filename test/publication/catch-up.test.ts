import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import type { DatabaseHandle } from '../../src/db/database.js';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import type { Dispatcher } from '../../src/delivery/dispatcher.js';
import { startBackgroundJobs } from '../../src/jobs/background-jobs.js';
import type { PublicationContentSource } from '../../src/publication/publication-content.js';
import { createPublicationEngine } from '../../src/publication/publication-engine.js';
import { StoreContentSource } from '../../src/publication/store-content-source.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  RecordingNotifier,
  seedPublicationRegistry,
  storeCurves,
  subscribe,
  testEngine,
} from '../support/publication-fixtures.js';

const DAY_MS = 86_400_000;

/** The same database, counting the statements sent through it. */
function counting(handle: DatabaseHandle): { handle: DatabaseHandle; count(): number } {
  let statements = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    // Called once per statement executed (compiling one without sending it does not count).
    transformResult: async (args) => {
      statements++;
      return args.result;
    },
  };
  return { handle: { ...handle, db: handle.db.withPlugin(plugin) }, count: () => statements };
}

/** Raw curves of B1 collected each day from 1 January 2026 (the day before), `days` days. */
async function collectDaily(handle: DatabaseHandle, days: number): Promise<void> {
  for (let i = 0; i < days; i++) {
    const collected = new Date(Date.UTC(2026, 0, 1, 12) + i * DAY_MS);
    const day = new Date(collected.getTime() - DAY_MS).toISOString().slice(0, 10);
    await storeCurves(handle.db, [fullCurveDay(PRM_B1, day, 'B', 30, i)], collected);
  }
}

/** Alpha with B1's curves collected daily for `days` days; subscribes Alpha (B, CSV) from 1 January. */
async function alphaCollectingDaily(handle: DatabaseHandle, days: number) {
  const { alpha } = await seedPublicationRegistry(handle.db);
  await collectDaily(handle, days);
  return (dataType: 'INDEX' | 'CDC_BRUTE', frequency: 'Q' | 'H') =>
    subscribe(handle.db, {
      entrepriseId: alpha,
      siren: ALPHA_SIREN,
      category: 'B',
      format: 'CSV',
      dataType,
      frequency,
      effectiveAt: new Date('2026-01-01T00:00:00Z'),
    });
}

describeEachEngine('scheduling: the frontier', (ctx) => {
  it('a pass with nothing due is one indexed query, however many subscriptions there are', async () => {
    const { alpha } = await seedPublicationRegistry(ctx.handle.db);
    const effectiveAt = new Date('2026-01-01T00:00:00Z');
    let subscriptions = 0;
    for (const category of ['A', 'B'] as const)
      for (const dataType of ['INDEX', 'CDC_BRUTE', 'CDC_CORRIGEE'] as const)
        for (const frequency of ['Q', 'H', 'M'] as const) {
          await subscribe(ctx.handle.db, {
            entrepriseId: alpha,
            siren: ALPHA_SIREN,
            category,
            dataType,
            frequency,
            format: 'JSON',
            effectiveAt,
          });
          subscriptions++;
        }
    const clock = new FakeClock('2026-01-03T12:00:00Z');
    const counted = counting(ctx.handle);
    const engine = testEngine(counted.handle, clock);
    // 1 and 2 January for the daily ones; the weekly and monthly windows have not ended.
    const first = await engine.schedule();
    assert.deepEqual([first.created, first.empty], [0, 12]);

    for (const at of ['2026-01-03T12:00:00Z', '2026-01-03T22:59:59Z']) {
      clock.set(at);
      const before = counted.count();
      const result = await engine.schedule();
      assert.equal(
        counted.count() - before,
        1,
        `nothing due at ${at}: ${subscriptions} subscriptions, one query`,
      );
      assert.deepEqual(result, { created: 0, empty: 0, more: false });
    }
    // Another process (a restarted worker) goes on from the same frontier.
    clock.set('2026-01-03T23:00:00Z');
    const other = testEngine(ctx.handle, clock);
    assert.deepEqual(await other.schedule(), { created: 0, empty: 6, more: false });
    assert.deepEqual(await engine.schedule(), { created: 0, empty: 0, more: false });
  });
});

describeEachEngine('scheduling: a backlog in bounded passes', (ctx) => {
  it('a bounded pass leaves the rest to the next; windows and numbers follow on without a gap', async () => {
    const subscribeFromJanuary = await alphaCollectingDaily(ctx.handle, 12);
    const ids = [
      await subscribeFromJanuary('CDC_BRUTE', 'Q'),
      await subscribeFromJanuary('INDEX', 'Q'),
      await subscribeFromJanuary('CDC_BRUTE', 'H'),
    ];
    const clock = new FakeClock('2026-01-20T12:00:00Z');
    const engine = testEngine(ctx.handle, clock);
    const passes: Array<{ created: number; empty: number; more: boolean }> = [];
    do passes.push(await engine.schedule({ maxWindows: 4 }));
    while (passes.at(-1)!.more && passes.length < 20);
    assert.ok(passes.length >= 10, `passes: ${JSON.stringify(passes)}`);
    assert.ok(passes.every((p) => p.created + p.empty <= 4 + 19));
    assert.equal(passes.at(-1)!.more, false);

    const runs = new PublicationRunRepository(ctx.handle.db);
    for (const id of ids) {
      const list = (await runs.listForSubscription(id)).sort(
        (a, b) => a.windowStart.getTime() - b.windowStart.getTime(),
      );
      for (let i = 1; i < list.length; i++) {
        assert.equal(
          list[i]!.windowStart.getTime(),
          list[i - 1]!.windowEnd.getTime(),
          `subscription ${id}: no window skipped`,
        );
        assert.ok(list[i]!.horodate > list[i - 1]!.horodate, 'horodates in window order, never shared');
      }
      const numbers = list.map((r) => r.numSequence).filter((n) => n !== null);
      assert.deepEqual(
        numbers,
        numbers.map((_, i) => i + 1),
        `subscription ${id}: numSequence 1, 2, 3…`,
      );
    }
    const daily = await runs.listForSubscription(ids[0]!);
    assert.equal(daily.length, 19, '1 to 19 January');
    assert.equal(daily.filter((r) => r.status === 'pending').length, 12);
  });
});

describeEachEngine('background jobs: catching up after a downtime', (ctx) => {
  it('a backlog is published pass after pass without waiting, the first files before it is all scheduled', async () => {
    const subscribeFromJanuary = await alphaCollectingDaily(ctx.handle, 60);
    await subscribeFromJanuary('CDC_BRUTE', 'Q');
    const weekly = await subscribeFromJanuary('CDC_BRUTE', 'H');
    const clock = new FakeClock('2026-03-10T12:00:00Z');
    const publications = new PublicationRepository(ctx.handle.db);
    const store = new StoreContentSource(ctx.handle.db);
    let publishedWhenWeeklyScheduled: number | undefined;
    const content: PublicationContentSource = Object.assign(Object.create(store) as StoreContentSource, {
      async hasContent(scope: Parameters<StoreContentSource['hasContent']>[0]) {
        if (scope.subscriptionId === weekly && publishedWhenWeeklyScheduled === undefined) {
          publishedWhenWeeklyScheduled = (
            await publications.search({ sirens: [ALPHA_SIREN], limit: 1, offset: 0 })
          ).total;
        }
        return store.hasContent(scope);
      },
    });
    const engine = createPublicationEngine({
      config: { dataDir: testEngine(ctx.handle, clock).dataDir, masterKey: Buffer.alloc(32, 0x42) },
      database: ctx.handle,
      clock,
      logger: pino({ level: 'silent' }),
      notifier: new RecordingNotifier(),
      content,
    });
    const idle = { runDue: async () => ({ delivered: 0, retried: 0, failed: 0, lost: 0 }) };
    const jobs = startBackgroundJobs({
      engine,
      dispatcher: idle as unknown as Dispatcher,
      clock,
      logger: pino({ level: 'silent' }),
      intervalMs: 3_600_000,
      windowsPerPass: 20,
    });
    // 69 files: 60 days of the daily subscription (collected 1 January – 1 March) and 9 weeks.
    let total = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      total = (await publications.search({ sirens: [ALPHA_SIREN], limit: 1, offset: 0 })).total;
      if (total >= 69) break;
      await sleep(100);
    }
    await jobs.stop();
    assert.equal(total, 69, 'the whole backlog, without waiting an interval');
    assert.ok(
      (publishedWhenWeeklyScheduled ?? 0) > 0,
      `files out before the last subscription was scheduled (${publishedWhenWeeklyScheduled})`,
    );
  });
});
