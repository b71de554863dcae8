import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { it } from 'node:test';
import { OperatorRepository } from '../../src/db/operator.repository.js';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { FAST_ATTEMPTS, runRetryDelayMs } from '../../src/domain/retry-policy.js';
import { LocalArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { formatHorodate } from '../../src/publication/packaging/publication-names.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  publicationFile,
  seedPublicationRegistry,
  storeCurves,
  testEngine,
  subscribeAlphaDailyCurves,
} from '../support/publication-fixtures.js';
import { RecordingMailer } from '../support/web.js';

const HOUR = 3_600_000;

/** An archive whose writes of one run's file fail while `down` names it (a disk or store fault). */
class FaultyStorage extends LocalArchiveStorage {
  down: number | undefined;

  override async write(key: string, source: Readable): Promise<void> {
    if (this.down !== undefined && key.endsWith(`/run-${this.down}.zip.pwm`)) {
      // The whole file goes by, then the disk refuses it.
      for await (const chunk of source) void chunk;
      throw new Error('archive disk full');
    }
    await super.write(key, source);
  }
}

describeEachEngine('a run failing longer than its fast attempts', (ctx) => {
  it('is retried hourly with its identity, alerts the operators once, and is published without a gap', async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    await new OperatorRepository(db).insert('exploitation@distributeur.fr', null, new Date('2026-01-01'));
    const clock = new FakeClock('2026-05-04T06:00:00Z');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-pub-'));
    const storage = new FaultyStorage(path.join(dataDir, 'archive'));
    const mailer = new RecordingMailer();
    const engine = testEngine(ctx.handle, clock, { dataDir, storage, mailer });
    // From 4 May, Paris.
    const subscriptionId = await subscribeAlphaDailyCurves(db, alpha, new Date('2026-05-03T22:00:00Z'));
    const runs = new PublicationRunRepository(db);
    // One day collected in each of the windows of 4, 5 and 6 May (Paris).
    for (const [day, stored] of [
      ['2026-05-03', '2026-05-04T10:00:00Z'],
      ['2026-05-04', '2026-05-05T10:00:00Z'],
      ['2026-05-05', '2026-05-06T10:00:00Z'],
    ] as const) {
      await storeCurves(db, [fullCurveDay(PRM_B1, day, 'B', 30, 100)], new Date(stored));
    }

    clock.set('2026-05-05T06:00:00Z');
    await engine.schedule();
    assert.deepEqual(
      (await engine.runPending()).map((o) => o.status),
      ['done'],
      'n° 1',
    );

    clock.set('2026-05-06T06:00:00Z');
    await engine.schedule();
    const held = (await runs.listForSubscription(subscriptionId)).find((r) => r.numSequence === 2)!;
    storage.down = held.id;
    for (let attempt = 1; attempt <= FAST_ATTEMPTS + 2; attempt++) {
      const outcomes = await engine.runPending();
      assert.deepEqual(
        outcomes.map((o) => [o.runId, o.status, o.error]),
        [[held.id, 'retry', 'archive disk full']],
        `attempt ${attempt}`,
      );
      const run = (await runs.find(held.id))!;
      assert.equal(run.status, 'pending', `attempt ${attempt}: never failed for good`);
      assert.equal(run.leaseExpiresAt?.getTime(), clock.now().getTime() + runRetryDelayMs(attempt));
      assert.equal(mailer.sent.length, attempt < FAST_ATTEMPTS ? 0 : 1, `alerts after attempt ${attempt}`);
      assert.deepEqual(await engine.runPending(), [], 'nothing runnable before its next attempt');
      clock.set(run.leaseExpiresAt!);
    }
    assert.equal(runRetryDelayMs(FAST_ATTEMPTS + 2), HOUR, 'hourly after the fast attempts');

    const [alert] = mailer.sent;
    assert.equal(alert!.to, 'exploitation@distributeur.fr');
    assert.match(alert!.subject, /Publication n° 2 en échec/);
    for (const fact of [
      `abonnement n° ${subscriptionId}`,
      `SIREN ${ALPHA_SIREN}`,
      'du 05/05/2026 à 00h00 au 06/05/2026 à 00h00',
      `après ${FAST_ATTEMPTS} tentatives`,
      'Dernière erreur (message technique) : archive disk full',
    ]) {
      assert.ok(alert!.text.includes(fact), `the alert names ${fact}: ${alert!.text}`);
    }

    await assert.rejects(engine.rebuild(subscriptionId, held.windowStart, 'test'), {
      code: 'WINDOW_INVALID',
    });

    // The next window is published meanwhile, with the next number: the held one is neither reused nor skipped.
    clock.set('2026-05-07T06:00:00Z');
    assert.deepEqual(await engine.schedule(), { created: 1, empty: 0, more: false });
    const outcomes = await engine.runPending();
    const third = (await runs.listForSubscription(subscriptionId)).find((r) => r.numSequence === 3)!;
    assert.deepEqual(
      outcomes.map((o) => [o.runId, o.status]),
      [
        [held.id, 'retry'],
        [third.id, 'done'],
      ],
    );

    // The fault clears: the held run is published at its next hourly attempt, as it was numbered.
    storage.down = undefined;
    clock.advance(HOUR);
    const [late] = await engine.runPending();
    assert.deepEqual([late?.runId, late?.status], [held.id, 'done']);
    const publications = new PublicationRepository(db);
    const publication = (await publications.find(late!.publicationId!))!;
    assert.equal(publication.numSequence, 2);
    assert.ok(publication.archiveName.endsWith(`_${ALPHA_SIREN}_${formatHorodate(held.horodate)}.zip`));
    const { inner } = await publicationFile(engine, publication.id);
    assert.match(inner.name, new RegExp(`_00002_${formatHorodate(held.horodate)}\\.csv$`));

    const all = (await runs.listForSubscription(subscriptionId)).filter((r) => r.numSequence !== null);
    assert.deepEqual(
      all.map((r) => [r.numSequence, r.rebuild, r.status]),
      [
        [1, 0, 'done'],
        [2, 0, 'done'],
        [3, 0, 'done'],
      ],
      'no gap, no rebuild',
    );
    assert.equal((await runs.find(held.id))!.horodate.getTime(), held.horodate.getTime());
    assert.equal(mailer.sent.length, 1, 'one alert in all');
  });

  it('ends failed, without an alert, only a run that can never succeed', async () => {
    const db = ctx.handle.db;
    const clock = new FakeClock('2026-06-02T06:00:00Z');
    const mailer = new RecordingMailer();
    const engine = testEngine(ctx.handle, clock, { mailer });
    const subscription = await db.selectFrom('subscription').select('id').executeTakeFirstOrThrow();
    const runs = new PublicationRunRepository(db);
    const id = await runs.insertIfAbsent({
      subscriptionId: subscription.id,
      windowStart: new Date('2026-06-01T22:00:00Z'),
      windowEnd: new Date('2026-06-02T22:00:00Z'),
      rebuild: 0,
      status: 'pending',
      format: 'CSV',
      numSequence: null, // a run with a file to build always has one: this one cannot be built
      horodate: clock.now(),
      requestedBy: null,
      createdAt: clock.now(),
    });
    const [outcome] = await engine.runPending();
    assert.deepEqual([outcome?.runId, outcome?.status], [id, 'failed']);
    assert.equal((await runs.find(id!))!.status, 'failed');
    assert.equal(mailer.sent.length, 0);
  });
});
