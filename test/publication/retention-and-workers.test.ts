import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  seedPublicationRegistry,
  storeCurves,
  testEngine,
  subscribeAlphaDailyCurves,
} from '../support/publication-fixtures.js';

describeEachEngine('retention', (ctx) => {
  it('purges files and rows older than four years, and nothing else', async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    const clock = new FakeClock('2022-09-01T00:00:00Z');
    const engine = testEngine(ctx.handle, clock);
    const subscriptionId = await subscribeAlphaDailyCurves(db, alpha, new Date('2022-09-01T00:00:00Z'));
    // Two files: published on 30 September and on 2 October 2022 (Paris).
    await storeCurves(db, [fullCurveDay(PRM_B1, '2022-09-28', 'B', 30, 1)], new Date('2022-09-29T10:00:00Z'));
    clock.set('2022-09-30T10:00:00Z');
    await engine.schedule();
    await engine.runPending();
    await storeCurves(db, [fullCurveDay(PRM_B1, '2022-09-30', 'B', 30, 2)], new Date('2022-10-01T10:00:00Z'));
    clock.set('2022-10-02T10:00:00Z');
    await engine.schedule();
    await engine.runPending();
    const publications = new PublicationRepository(db);
    const before = (await publications.search({ sirens: [ALPHA_SIREN], limit: 10, offset: 0 })).items;
    assert.equal(before.length, 2);
    const old = before.find((p) => p.numSequence === 1)!;
    const young = before.find((p) => p.numSequence === 2)!;

    clock.set('2026-10-01T10:00:00Z'); // four years after the first file, not yet after the second
    const runsBefore = await new PublicationRunRepository(db).listForSubscription(subscriptionId);
    assert.deepEqual(await engine.purge(), { publications: 1, abandonedParts: 0 });
    assert.equal(await publications.find(old.id), undefined);
    assert.equal(await engine.storage.exists(old.storageKey), false);
    assert.ok(await publications.find(young.id));
    assert.equal(await engine.storage.exists(young.storageKey), true);
    assert.deepEqual(await engine.purge(), { publications: 0, abandonedParts: 0 });
    const runsAfter = await new PublicationRunRepository(db).listForSubscription(subscriptionId);
    assert.equal(runsAfter.length, runsBefore.length, 'runs stay: the scheduler remembers the windows done');
    // The scheduler continues from its frontier (the latest window it created), which the purge
    // leaves alone: no purged window can be published again.
    const runs = new PublicationRunRepository(db);
    assert.equal(
      (await runs.latestScheduledWindow(subscriptionId))?.toISOString(),
      runsBefore[runsBefore.length - 1]!.windowStart.toISOString(),
    );
  });
});

describeEachEngine('workers', (ctx) => {
  it('two workers share 200 runs, each published exactly once', async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const subscriptionId = await subscribeAlphaDailyCurves(db, alpha, new Date('2026-01-01T00:00:00Z'));
    // One day of data collected each day for 200 days: 200 windows with a file each.
    for (let i = 0; i < 200; i++) {
      const collected = new Date(Date.UTC(2026, 0, 1, 12) + i * 86_400_000);
      const day = new Date(collected.getTime() - 86_400_000).toISOString().slice(0, 10);
      await storeCurves(db, [fullCurveDay(PRM_B1, day, 'B', 30, i)], collected);
    }
    clock.set('2026-07-20T12:00:00Z');
    const first = testEngine(ctx.handle, clock, { owner: 'worker-1' });
    const second = testEngine(ctx.handle, clock, { owner: 'worker-2', dataDir: first.dataDir });
    assert.equal((await first.schedule()).created, 200);
    const [a, b] = await Promise.all([first.runPending(), second.runPending()]);
    const done = [...a, ...b].filter((o) => o.status === 'done');
    assert.equal(
      done.length,
      200,
      `outcomes: ${JSON.stringify([...a, ...b].filter((o) => o.status !== 'done'))}`,
    );
    assert.equal(new Set(done.map((o) => o.runId)).size, 200, 'no run twice');
    if (ctx.engine === 'postgres') assert.ok(a.length > 0 && b.length > 0, 'both workers took part');
    const runs = await new PublicationRunRepository(db).listForSubscription(subscriptionId);
    assert.ok(runs.every((r) => r.status === 'done'));
    const archived = await new PublicationRepository(db).search({
      sirens: [ALPHA_SIREN],
      limit: 1,
      offset: 0,
    });
    assert.equal(archived.total, 200);
    assert.deepEqual(
      [...new Set(runs.map((r) => r.numSequence))].length,
      200,
      'numSequence 1..200, one per file',
    );
  });
});
