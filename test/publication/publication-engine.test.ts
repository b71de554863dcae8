import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_A1,
  PRM_B1,
  PRM_B2,
  PRM_B3,
  PRM_BETA,
  publicationFile,
  seedPublicationRegistry,
  storeCurves,
  subscribe,
  testEngine,
  subscribeAlphaDailyCurves,
} from '../support/publication-fixtures.js';

const Ajv = AjvDraft04.default;
const ajv = new Ajv({ strict: false, allErrors: true });
const schema = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/enedis/${name}`, import.meta.url), 'utf8')) as object;
const validateR63 = ajv.compile(schema('Enedis.SGE.JSON.0532.Flux.R63Xv1.1.0.json'));
const validateR64 = ajv.compile(schema('Enedis.SGE.JSON.0533.Flux.R64Xv1.1.0.json'));

/** CSV data lines of a PRM, as [d, v] pairs. */
function linesOf(csv: string, prm: string): Array<[string, string]> {
  const header = csv.split('\n')[0]!.split(';');
  const d = header.indexOf('Horodate');
  const v = header.indexOf('Valeur');
  return csv
    .split('\n')
    .slice(1)
    .filter((line) => line.startsWith(`${prm};`))
    .map((line) => {
      const fields = line.split(';');
      return [fields[d]!, fields[v]!];
    });
}

describeEachEngine('publication engine: daily R63B CSV over collection windows', (ctx) => {
  const clock = new FakeClock('2026-10-22T08:00:00Z');
  let engine: ReturnType<typeof testEngine>;
  let subscriptionId: number;
  let alpha: number;

  it('publishes each ended window once, files only for windows that collected something', async () => {
    const db = ctx.handle.db;
    ({ alpha } = await seedPublicationRegistry(db));
    engine = testEngine(ctx.handle, clock);
    subscriptionId = await subscribeAlphaDailyCurves(db, alpha, new Date('2026-10-22T08:00:00Z'));
    // Collected on 22 October (Paris): B1's 21st, B3's 19th (still attached) and 21st (after it left),
    // B2 (collection off) and Beta's meter (another entreprise).
    await storeCurves(
      db,
      [
        fullCurveDay(PRM_B1, '2026-10-21', 'B', 30, 100),
        fullCurveDay(PRM_B2, '2026-10-21', 'B', 30, 200),
        fullCurveDay(PRM_B3, '2026-10-19', 'B', 30, 300),
        fullCurveDay(PRM_B3, '2026-10-21', 'B', 30, 350),
        fullCurveDay(PRM_BETA, '2026-10-21', 'B', 30, 400),
      ],
      new Date('2026-10-22T10:00:00Z'),
    );
    // Collected on 25 October, the autumn DST day: B1's own day, 50 half-hours.
    await storeCurves(
      db,
      [fullCurveDay(PRM_B1, '2026-10-25', 'B', 30, 500)],
      new Date('2026-10-25T21:00:00Z'),
    );

    clock.set('2026-10-25T22:59:59Z'); // 25 October 23:59:59 in Paris: that window is not over
    assert.deepEqual(await engine.schedule(), { created: 1, empty: 2, more: false });
    clock.set('2026-10-25T23:00:00Z');
    assert.deepEqual(await engine.schedule(), { created: 1, empty: 0, more: false });
    assert.deepEqual(
      await engine.schedule(),
      { created: 0, empty: 0, more: false },
      'a second pass creates nothing',
    );
    const outcomes = await engine.runPending();
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['done', 'done'],
    );
    const runs = await new PublicationRunRepository(db).listForSubscription(subscriptionId);
    assert.deepEqual(
      runs.map((r) => [r.windowStart.toISOString(), r.status, r.numSequence]),
      [
        ['2026-10-21T22:00:00.000Z', 'done', 1],
        ['2026-10-22T22:00:00.000Z', 'empty', null],
        ['2026-10-23T22:00:00.000Z', 'empty', null],
        ['2026-10-24T22:00:00.000Z', 'done', 2],
      ],
    );
  });

  it('gives every file of a subscription its own name, even when created in one pass', async () => {
    const runs = await new PublicationRunRepository(ctx.handle.db).listForSubscription(subscriptionId);
    const stamps = runs.map((r) => r.horodate.getTime());
    assert.equal(new Set(stamps).size, stamps.length, 'one horodate per run');
    assert.ok(
      stamps.every((t) => t % 1000 === 0),
      'whole seconds, as written in the names',
    );
    const names = (
      await new PublicationRepository(ctx.handle.db).search({ sirens: [ALPHA_SIREN], limit: 10, offset: 0 })
    ).items.map((p) => p.archiveName);
    assert.equal(new Set(names).size, names.length);
  });

  it('carries only the perimeter: attachment interval, curve collection, own SIREN', async () => {
    const [first] = (
      await new PublicationRepository(ctx.handle.db).search({ sirens: [ALPHA_SIREN], limit: 10, offset: 0 })
    ).items.sort((a, b) => a.numSequence - b.numSequence);
    const { file, inner } = await publicationFile(engine, first!.id);
    assert.match(file.fileName, new RegExp(`^Enedis_R63B_Q_CdC_T[0-9A-F]+_${ALPHA_SIREN}_\\d{14}\\.zip$`));
    assert.match(inner.name, /^Enedis_R63B_Q_CdC_T[0-9A-F]+_00001_\d{14}\.csv$/);
    const csv = inner.content.toString('utf8');
    const b1 = linesOf(csv, PRM_B1);
    assert.equal(b1.length, 48);
    assert.deepEqual(b1[0], ['2026-10-21 00:30:00', '100']);
    assert.deepEqual(b1[47], ['2026-10-22 00:00:00', '147']);
    assert.equal(linesOf(csv, PRM_B3).length, 48, "B3's day before it left");
    // B stamps interval ends: the 19th's last half-hour is stamped 20 October 00:00.
    assert.ok(
      linesOf(csv, PRM_B3).every(([d]) => d <= '2026-10-20 00:00:00'),
      'nothing of B3 after it left',
    );
    assert.equal(linesOf(csv, PRM_B2).length, 0, 'collection off: never published');
    assert.equal(linesOf(csv, PRM_BETA).length, 0, "another entreprise's meter");
    assert.equal(first!.prmCount, 2);
    assert.deepEqual(
      (await new PublicationRepository(ctx.handle.db).prmsOf(first!.id)).map((p) => p.contractNumber),
      ['CTR-B1', 'CTR-B3'],
    );
  });

  it('publishes the autumn DST day with 50 points, the repeated hour twice in order', async () => {
    const items = (
      await new PublicationRepository(ctx.handle.db).search({ sirens: [ALPHA_SIREN], limit: 10, offset: 0 })
    ).items;
    const second = items.find((p) => p.numSequence === 2)!;
    const csv = (await publicationFile(engine, second.id)).inner.content.toString('utf8');
    const b1 = linesOf(csv, PRM_B1);
    assert.equal(b1.length, 50);
    const stamps = b1.map(([d]) => d);
    // Category B stamps the END of each half-hour: 02:30 then 03:00 CEST (= 02:00 CET), then 02:30 CET…
    const repeated = stamps.indexOf('2026-10-25 02:00:00');
    assert.deepEqual(stamps.slice(repeated, repeated + 5), [
      '2026-10-25 02:00:00',
      '2026-10-25 02:30:00',
      '2026-10-25 02:00:00',
      '2026-10-25 02:30:00',
      '2026-10-25 03:00:00',
    ]);
    assert.equal(stamps.filter((d) => d === '2026-10-25 02:00:00').length, 2);
    assert.deepEqual(
      b1.map(([, v]) => Number(v)),
      Array.from({ length: 50 }, (_, i) => 500 + i),
      'points keep their chronological order',
    );
  });

  it('puts a correction in the next window, and never again after', async () => {
    const db = ctx.handle.db;
    await storeCurves(
      db,
      [fullCurveDay(PRM_B1, '2026-10-21', 'B', 30, 900)],
      new Date('2026-10-26T09:00:00Z'),
    );
    clock.set('2026-10-27T23:00:00Z');
    assert.deepEqual(await engine.schedule(), { created: 1, empty: 1, more: false });
    await engine.runPending();
    const items = (
      await new PublicationRepository(db).search({ sirens: [ALPHA_SIREN], limit: 10, offset: 0 })
    ).items;
    assert.deepEqual(items.map((p) => p.numSequence).sort(), [1, 2, 3]);
    const third = (
      await publicationFile(engine, items.find((p) => p.numSequence === 3)!.id)
    ).inner.content.toString();
    assert.deepEqual(linesOf(third, PRM_B1)[0], ['2026-10-21 00:30:00', '900']);
    assert.equal(linesOf(third, PRM_B1).length, 48, 'the corrected day, whole, and nothing else');
    const first = (
      await publicationFile(engine, items.find((p) => p.numSequence === 1)!.id)
    ).inner.content.toString();
    assert.deepEqual(
      linesOf(first, PRM_B1)[0],
      ['2026-10-21 00:30:00', '100'],
      'the archive keeps what was sent',
    );
    // Built again after the correction, the first window still holds what was collected during it.
    const rebuilt = await engine.rebuild(subscriptionId, new Date('2026-10-21T22:00:00Z'), 'test');
    assert.equal(rebuilt.status, 'done');
    const again = await publicationFile(engine, rebuilt.publicationId!);
    assert.equal((await new PublicationRepository(db).find(rebuilt.publicationId!))?.numSequence, 4);
    assert.equal(again.inner.content.toString(), first, 'same content, byte for byte');
  });

  it('two schedulers at once create each run once', async () => {
    const other = testEngine(ctx.handle, clock);
    await storeCurves(
      ctx.handle.db,
      [fullCurveDay(PRM_B1, '2026-10-27', 'B', 30, 50)],
      new Date('2026-10-28T10:00:00Z'),
    );
    clock.set('2026-10-29T23:00:00Z');
    const results = await Promise.all([engine.schedule(), other.schedule()]);
    assert.equal(
      results.reduce((n, r) => n + r.created + r.empty, 0),
      2,
    );
    const runs = await new PublicationRunRepository(ctx.handle.db).listForSubscription(subscriptionId);
    assert.equal(runs.length, 9);
    assert.equal(new Set(runs.map((r) => r.numSequence).filter((n) => n !== null)).size, 5);
  });
});

describeEachEngine('publication engine: JSON files valid against the official schemas', (ctx) => {
  it('R63A raw (PA, PRI, PRC), R63A corrected and R64B index validate', async () => {
    const db = ctx.handle.db;
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const { alpha } = await seedPublicationRegistry(db);
    const engine = testEngine(ctx.handle, clock);
    const common = {
      entrepriseId: alpha,
      siren: ALPHA_SIREN,
      frequency: 'Q' as const,
      format: 'JSON' as const,
    };
    const effectiveAt = new Date('2026-03-01T00:00:00Z');
    const raw = await subscribe(db, { ...common, category: 'A', dataType: 'CDC_BRUTE', effectiveAt });
    const best = await subscribe(db, { ...common, category: 'A', dataType: 'CDC_CORRIGEE', effectiveAt });
    const index = await subscribe(db, { ...common, category: 'B', dataType: 'INDEX', effectiveAt });
    const at = new Date('2026-03-29T10:00:00Z'); // the spring DST day
    await storeCurves(
      db,
      [
        fullCurveDay(PRM_A1, '2026-03-28', 'A', 5, 1000),
        fullCurveDay(PRM_A1, '2026-03-28', 'A', 5, 10, { quantity: 'PRI' }),
        fullCurveDay(PRM_A1, '2026-03-28', 'A', 5, 20, { quantity: 'PRC' }),
        fullCurveDay(PRM_A1, '2026-03-29', 'A', 5, 2000, { stage: 'BEST' }),
      ],
      at,
    );
    await new MeasurementRepository(db).upsertIndexReadings(
      [
        { prm: PRM_B1, day: '2026-03-29', register: 'HP', valueWh: 123_456, iv: 0 },
        { prm: PRM_B1, day: '2026-03-29', register: 'HC', valueWh: 65_432, iv: 0 },
        { prm: PRM_B1, day: '2026-03-29', register: 'TOTAL', valueWh: 188_888, iv: 0 },
      ],
      at,
    );
    clock.set('2026-03-30T00:00:00Z');
    await engine.schedule();
    const outcomes = await engine.runPending();
    assert.equal(outcomes.filter((o) => o.status === 'done').length, 3);
    const publications = new PublicationRepository(db);
    for (const [subscriptionId, validate, points] of [
      [raw, validateR63, 288 * 3],
      [best, validateR63, 276],
      [index, validateR64, 3],
    ] as const) {
      const [publication] = (
        await publications.search({ sirens: [ALPHA_SIREN], limit: 50, offset: 0 })
      ).items.filter((p) => p.subscriptionId === subscriptionId);
      assert.ok(publication, `subscription ${subscriptionId} published`);
      assert.equal(publication.pointCount, points);
      const { inner } = await publicationFile(engine, publication.id);
      assert.match(inner.name, /\.json$/);
      const document: unknown = JSON.parse(inner.content.toString('utf8'));
      assert.ok(validate(document), JSON.stringify(validate.errors));
    }
  });
});
