import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  PRM_B3,
  publicationFile,
  seedPublicationRegistry,
  storeCurves,
  subscribe,
  testEngine,
  unzipSingle,
} from '../support/publication-fixtures.js';
import { buffer } from 'node:stream/consumers';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Starts a worker process, waits until it reports its pause, then kills it with SIGKILL. */
async function killWhenPaused(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/publish-child.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker never paused: ${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('PAUSED\n') && !output.includes('NOT PAUSED')) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      if (!output.includes('PAUSED\n') || output.includes('NOT PAUSED'))
        reject(new Error(`worker exited: ${output}`));
    });
  });
  await new Promise((resolve) => child.once('close', resolve));
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

describeEachEngine('a publication worker killed mid-run', (ctx) => {
  it('leaves no partial file under the final name; the run completes later with a byte-identical file', async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    const clock = new FakeClock('2026-05-01T00:00:00Z');
    const engine = testEngine(ctx.handle, clock);
    await subscribe(db, {
      entrepriseId: alpha,
      siren: ALPHA_SIREN,
      category: 'B',
      dataType: 'CDC_BRUTE',
      frequency: 'M',
      format: 'CSV',
      effectiveAt: new Date('2026-05-01T00:00:00Z'),
    });
    // A month of two meters, so the file spans many writer chunks.
    const days = Array.from({ length: 31 }, (_, i) => `2026-05-${String(i + 1).padStart(2, '0')}`);
    for (const [index, day] of days.entries()) {
      await storeCurves(
        db,
        [fullCurveDay(PRM_B1, day, 'B', 30, 1000 + index), fullCurveDay(PRM_B3, day, 'B', 30, 5000 + index)],
        new Date(`${day}T12:00:00Z`),
      );
    }
    clock.set('2026-06-01T08:00:00Z');
    assert.equal((await engine.schedule()).created, 1);
    const archive = path.join(engine.dataDir, 'archive');
    const base = { CHILD_DATABASE_URL: ctx.url, CHILD_DATA_DIR: engine.dataDir };

    // 1. Killed while the file is being written: only a temporary file exists.
    await killWhenPaused({ ...base, CHILD_NOW: '2026-06-01T08:00:00Z', CHILD_MODE: 'mid-write' });
    const afterFirst = filesUnder(archive);
    assert.ok(afterFirst.length > 0 && afterFirst.every((name) => name.endsWith('.part')), afterFirst.join());
    const [run] = await new PublicationRunRepository(db).listForSubscription(1);
    assert.equal(run?.status, 'running', 'the dead worker still holds the lease');

    // 2. After its lease expired, another worker writes the whole file, then dies before committing.
    await killWhenPaused({ ...base, CHILD_NOW: '2026-06-01T08:06:00Z', CHILD_MODE: 'before-commit' });
    const storageKey = `2026/05/run-${run!.id}.zip.pwm`;
    assert.equal(await engine.storage.exists(storageKey), true);
    assert.deepEqual(
      filesUnder(archive),
      [`run-${run!.id}.zip.pwm`],
      'the writer that took the run over removed the dead writer’s temporary file',
    );
    const orphan = await unzipSingle(await buffer(await engine.archive.open(storageKey)));
    assert.equal(await new PublicationRepository(db).findByRun(run!.id), undefined, 'nothing committed');

    // 3. A third worker, later, completes the run: one publication, the same inner file byte for byte.
    clock.set('2026-06-01T08:12:00Z');
    const outcomes = await engine.runPending();
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['done'],
    );
    const publication = await new PublicationRepository(db).findByRun(run!.id);
    assert.ok(publication);
    const { inner } = await publicationFile(engine, publication.id);
    assert.equal(inner.name, orphan.name);
    assert.ok(inner.content.equals(orphan.content), 'byte-identical inner data file');
    assert.equal(
      inner.content
        .toString()
        .split('\n')
        .filter((l) => l.startsWith(PRM_B1)).length,
      31 * 48,
    );
    const done = await new PublicationRunRepository(db).find(run!.id);
    assert.equal(done?.status, 'done');
    assert.equal(done?.attempts, 3);

    // Nothing is left for the daily purge (file times are real time, so the clock jumps past the real now).
    clock.set(new Date(Date.now() + 2 * 86_400_000));
    assert.deepEqual(await engine.purge(), { publications: 0, abandonedParts: 0 });
    assert.deepEqual(filesUnder(archive), [`run-${run!.id}.zip.pwm`]);
  });
});
