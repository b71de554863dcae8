import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { sql } from 'kysely';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { MeasurementRepository, type IndexReading } from '../../src/db/measurement.repository.js';
import { SubscriptionRepository } from '../../src/db/subscription.repository.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { LocalArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { cliEnv, runCli, startCli } from '../support/cli.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  PRM_B3,
  publicationFile,
  RecordingNotifier,
  seedPublicationRegistry,
  storeCurves,
  subscribe,
  testEngine,
  unzipSingle,
} from '../support/publication-fixtures.js';
import { pino } from 'pino';
import { createPublicationEngine } from '../../src/publication/publication-engine.js';
import type { PublicationContentSource } from '../../src/publication/publication-content.js';
import { StoreContentSource } from '../../src/publication/store-content-source.js';
import { StopController } from '../../src/stop-signal.js';
import { prmNumber, seedEntreprise } from '../support/registry-fixtures.js';

const SIREN = '356000000';
const PRMS = 10_000;
/** testEngine's master key, given to the worker processes too. */
const MASTER_KEY_HEX = '42'.repeat(32);
/** How late after its grace a process may exit: the event loop of a loaded machine. */
const EXIT_MARGIN_MS = 1500;

/** Keeps a copy of every file written, under `reference/`, then fails the write: the run stays to do. */
class ReferenceCopy extends LocalArchiveStorage {
  override async write(key: string, source: Readable): Promise<void> {
    await super.write(`reference/${key}`, source);
    throw new Error('reference copy only');
  }
}

function partFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.part'))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Polls until `check` holds, failing after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A daily category B index subscription of 10 000 PRMs with one day collected: one run to publish. */
async function seedDailyIndexRun(handle: DatabaseHandle, clock: FakeClock) {
  const db = handle.db;
  await seedEntreprise(db, { name: 'Arrêt SA', siren: SIREN, prms: PRMS });
  const entreprise = await db.selectFrom('entreprise').select('id').executeTakeFirstOrThrow();
  const subscriptionId = await subscribe(db, {
    entrepriseId: entreprise.id,
    siren: SIREN,
    category: 'B',
    dataType: 'INDEX',
    frequency: 'Q',
    format: 'JSON',
    effectiveAt: new Date('2026-05-01T00:00:00Z'),
  });
  // Ended with its first window, so that workers (on the real clock) schedule nothing more.
  await new SubscriptionRepository(db).end(subscriptionId, new Date('2026-05-01T22:00:00Z'));
  const readings: IndexReading[] = [];
  for (let i = 1; i <= PRMS; i++) {
    const prm = prmNumber(i);
    readings.push(
      { prm, day: '2026-05-01', register: 'HP', valueWh: 1_000_000 + i * 7, iv: 0 },
      { prm, day: '2026-05-01', register: 'HC', valueWh: 500_000 + i * 3, iv: 0 },
      { prm, day: '2026-05-01', register: 'TOTAL', valueWh: 1_500_000 + i * 10, iv: 0 },
    );
  }
  await new MeasurementRepository(db).upsertIndexReadings(readings, new Date('2026-05-01T12:00:00Z'));
  // Statistics, as autovacuum gives them within a minute of a load: without them PostgreSQL plans the
  // window's reads row by row and the publication takes ten times as long.
  if (handle.engine === 'postgres') await sql`analyze`.execute(db);
  clock.set('2026-05-02T06:00:00Z');
  const engine = testEngine(handle, clock);
  assert.equal((await engine.schedule()).created, 1);
  const [run] = await new PublicationRunRepository(db).listForSubscription(subscriptionId);
  assert.ok(run);
  return { engine, run };
}

/**
 * The store's content, pausing after the first PRM block (`firstBlock` resolves) until `resume()`, as a
 * slow page read would, or for 5 s at most.
 */
function pausingContent(
  store: StoreContentSource,
): PublicationContentSource & { firstBlock: Promise<void>; resume(): void } {
  const first = deferred();
  const resumed = deferred();
  return {
    firstBlock: first.promise,
    resume: resumed.resolve,
    hasContent: (scope) => store.hasContent(scope),
    indexBlocks: (scope) => store.indexBlocks(scope),
    async *curveBlocks(scope) {
      for await (const block of store.curveBlocks(scope)) {
        yield block;
        first.resolve();
        await Promise.race([resumed.promise, sleep(5000)]);
      }
    },
  };
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describeEachEngine('a publication run cancelled by a stop', (ctx) => {
  it('is abandoned mid-write and given back: no file, no row, attempt not counted; the next worker writes the same bytes', async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    const clock = new FakeClock('2026-05-01T00:00:00Z');
    await subscribe(db, {
      entrepriseId: alpha,
      siren: ALPHA_SIREN,
      category: 'B',
      dataType: 'CDC_BRUTE',
      frequency: 'M',
      format: 'CSV',
      effectiveAt: new Date('2026-05-01T00:00:00Z'),
    });
    for (let day = 1; day <= 31; day++) {
      const date = `2026-05-${String(day).padStart(2, '0')}`;
      await storeCurves(
        db,
        [fullCurveDay(PRM_B1, date, 'B', 30, day), fullCurveDay(PRM_B3, date, 'B', 30, 100 + day)],
        new Date(`${date}T12:00:00Z`),
      );
    }
    clock.set('2026-06-01T08:00:00Z');
    const engine = testEngine(ctx.handle, clock);
    assert.equal((await engine.schedule()).created, 1);
    const archive = path.join(engine.dataDir, 'archive');
    const reference = testEngine(ctx.handle, clock, {
      dataDir: engine.dataDir,
      storage: new ReferenceCopy(archive),
    });
    const [referenceOutcome] = await reference.runPending();
    assert.equal(referenceOutcome?.status, 'retry');
    const runId = referenceOutcome.runId;
    const expected = await unzipSingle(
      await buffer(await engine.archive.open(`reference/2026/05/run-${runId}.zip.pwm`)),
    );
    // The reference attempt failed on purpose: its retry delay is over.
    clock.advance(3_600_000);

    const content = pausingContent(new StoreContentSource(db));
    const stopping = createPublicationEngine({
      config: { dataDir: engine.dataDir, masterKey: Buffer.from(MASTER_KEY_HEX, 'hex') },
      database: ctx.handle,
      clock,
      logger: pino({ level: 'silent' }),
      notifier: new RecordingNotifier(),
      content,
      owner: 'stopping',
    });
    const stop = new StopController();
    const running = stopping.runPending({ stop });
    await content.firstBlock;
    await waitFor('the temporary file', () => partFiles(archive).length > 0, 5000);
    stop.cancel();
    // The next page arrives: the writing stops there.
    content.resume();
    assert.deepEqual(await running, [{ runId, status: 'released' }]);

    const runs = new PublicationRunRepository(db);
    const givenBack = await runs.find(runId);
    assert.equal(givenBack?.status, 'pending');
    assert.equal(givenBack?.attempts, 1, 'only the reference attempt counts');
    assert.equal(givenBack?.leaseOwner, null);
    assert.equal(givenBack?.leaseExpiresAt, null);
    assert.deepEqual(partFiles(archive), [], 'the temporary file is removed');
    assert.equal(await engine.storage.exists(`2026/05/run-${runId}.zip.pwm`), false);
    assert.equal(await new PublicationRepository(db).findByRun(runId), undefined);
    const prmRows = await db.selectFrom('publication_prm').select('prm').execute();
    assert.deepEqual(prmRows, [], 'its transaction rolled back');

    // At the same instant, the next worker takes it.
    assert.deepEqual(
      (await engine.runPending()).map((o) => o.status),
      ['done'],
    );
    const publication = await new PublicationRepository(db).findByRun(runId);
    assert.ok(publication);
    assert.equal(publication.numSequence, 1);
    const { inner } = await publicationFile(engine, publication.id);
    assert.equal(inner.name, expected.name);
    assert.ok(inner.content.equals(expected.content), 'byte-identical inner data file');
    assert.equal((await runs.find(runId))?.attempts, 2);
  });
});

describeEachEngine('a worker asked to stop', (ctx) => {
  it(
    'SIGTERM during a 10 000-PRM publication: exit 0 within the grace, the run given back, then published byte for byte by the next worker',
    { skip: ctx.engine === 'sqlite' && 'workers run on PostgreSQL only', timeout: 240_000 },
    async (t) => {
      const db = ctx.handle.db;
      const clock = new FakeClock('2026-05-01T00:00:00Z');
      const { engine, run } = await seedDailyIndexRun(ctx.handle, clock);
      const runs = new PublicationRunRepository(db);
      const archive = path.join(engine.dataDir, 'archive');

      // The reference: the same run written without interruption (kept aside; the attempt then fails).
      const reference = testEngine(ctx.handle, clock, {
        dataDir: engine.dataDir,
        storage: new ReferenceCopy(archive),
      });
      const referenceStart = Date.now();
      assert.deepEqual(
        (await reference.runPending()).map((o) => o.status),
        ['retry'],
      );
      // A grace well inside the publication on this machine: the worker is cut while it writes.
      const graceSeconds = Math.max(0.5, (Date.now() - referenceStart) / 3000);
      const storageKey = `2026/05/run-${run.id}.zip.pwm`;
      const expected = await unzipSingle(await buffer(await engine.archive.open(`reference/${storageKey}`)));
      assert.equal((await runs.find(run.id))?.attempts, 1);

      const env = cliEnv({
        PUBLIWATT_DATABASE_URL: ctx.url,
        PUBLIWATT_DATA_DIR: engine.dataDir,
        PUBLIWATT_MASTER_KEY: MASTER_KEY_HEX,
        PUBLIWATT_LOG_LEVEL: 'info',
      });

      // 1. A worker writing the file is stopped: it exits 0 within the grace and gives the run back.
      const first = startCli(['worker', '--interval', '1', '--shutdown-grace', String(graceSeconds)], env);
      let output = '';
      first.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      first.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor('the worker to write the file', async () => {
        if (first.exitCode !== null) throw new Error(`the worker exited: ${output}`);
        const current = await runs.find(run.id);
        return current?.status === 'running' && partFiles(archive).length > 0;
      });
      const signalled = Date.now();
      first.kill('SIGTERM');
      const code = await exited(first, graceSeconds * 1000 + EXIT_MARGIN_MS + 5000);
      const took = Date.now() - signalled;
      t.diagnostic(`grace ${graceSeconds} s, exited ${took} ms after SIGTERM (sent at ${signalled})`);
      for (const line of output.split('\n').filter((l) => /stopping|stopped|given back|overran/.test(l)))
        t.diagnostic(line);
      assert.equal(code, 0, output);
      assert.ok(
        took <= graceSeconds * 1000 + EXIT_MARGIN_MS,
        `stopped in ${took} ms, grace ${graceSeconds} s`,
      );
      const givenBack = await runs.find(run.id);
      assert.equal(givenBack?.status, 'pending', 'the run is given back, not finished');
      assert.equal(givenBack?.leaseOwner, null);
      assert.equal(givenBack?.leaseExpiresAt, null, 'claimable at once');
      assert.equal(givenBack?.attempts, 1, 'the stopped attempt is not counted');
      assert.deepEqual(partFiles(archive), [], 'the temporary file is removed');
      assert.equal(await new PublicationRepository(db).findByRun(run.id), undefined, 'nothing committed');

      // 2. The next worker publishes it at once: one file, the reference's bytes, numSequence 1.
      const second = startCli(['worker', '--interval', '1'], env);
      let secondOutput = '';
      second.stdout!.on('data', (chunk: Buffer) => (secondOutput += chunk.toString()));
      second.stderr!.on('data', (chunk: Buffer) => (secondOutput += chunk.toString()));
      await waitFor('the next worker to publish the run', async () => {
        if (second.exitCode !== null) throw new Error(`the worker exited: ${secondOutput}`);
        return (await runs.find(run.id))?.status === 'done';
      });
      second.kill('SIGTERM');
      assert.equal(await exited(second, 15_000), 0, secondOutput);
      const done = await runs.find(run.id);
      assert.equal(done?.attempts, 2);
      const publication = await new PublicationRepository(db).findByRun(run.id);
      assert.ok(publication);
      assert.equal(publication.numSequence, 1);
      assert.equal(publication.prmCount, PRMS);
      const { inner } = await publicationFile(engine, publication.id);
      assert.equal(inner.name, expected.name);
      assert.ok(inner.content.equals(expected.content), 'byte-identical inner data file');
    },
  );

  it(
    'refuses to start on SQLite, with one line and a failure code, before opening the database',
    { skip: ctx.engine === 'postgres' && 'the refusal concerns SQLite' },
    async () => {
      const env = cliEnv();
      const file = path.join(env.PUBLIWATT_DATA_DIR!, 'publiwatt.db');
      // Unset PUBLIWATT_DATABASE_URL: SQLite in the data directory.
      const result = await runCli(['worker'], env);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^publiwatt: INVALID_CONFIGURATION: worker needs PostgreSQL/);
      assert.match(result.stderr, /inside `serve`/);
      assert.equal(existsSync(file), false, 'no database created or migrated');
    },
  );
});
