import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import {
  MeasurementRepository,
  type CurveDay,
  type IndexReading,
  type PrmSelection,
} from '../../src/db/measurement.repository.js';
import { QUALITY } from '../../src/domain/point-quality.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { registryCsv } from '../support/registry-fixtures.js';

const PRM = '10000000000011';
const OTHER = '10000000000012';
const SELECTION: PrmSelection = { prms: [PRM, OTHER] };
/** Two consecutive publication windows (days, as for a daily subscription). */
const W1 = { from: new Date('2026-03-02T23:00:00Z'), to: new Date('2026-03-03T23:00:00Z') };
const W2 = { from: W1.to, to: new Date('2026-03-04T23:00:00Z') };
const at = (window: { from: Date }, hours: number) => new Date(window.from.getTime() + hours * 3_600_000);

function curve(prm: string, day: string, level: number): CurveDay {
  return {
    prm,
    day,
    quantity: 'PA',
    stage: 'BRUT',
    stepMinutes: 10,
    values: Int32Array.from({ length: 144 }, (_, i) => level + i),
    qualities: new Uint16Array(144).fill(QUALITY.R),
  };
}

function reading(day: string, valueWh: number, iv: number | null = null): IndexReading {
  return { prm: PRM, day, register: 'HPH', valueWh, iv };
}

describeEachEngine('measurement versions', (ctx) => {
  const repo = () => new MeasurementRepository(ctx.handle.db);

  async function curvesIn(window: { from: Date; to: Date }, batchSize = 1) {
    const out: Array<{ key: string; level: number; storedAt: string }> = [];
    for await (const d of repo().streamCurveVersions(
      SELECTION,
      window,
      { stage: 'BRUT', quantities: ['PA'] },
      batchSize,
    ))
      out.push({ key: `${d.prm}/${d.day}`, level: d.values[0]!, storedAt: d.storedAt });
    return out;
  }

  async function readingsIn(window: { from: Date; to: Date }) {
    const out: Array<[string, number, string]> = [];
    for await (const r of repo().streamIndexVersions(SELECTION, window, 1))
      out.push([r.day, r.valueWh, r.storedAt]);
    return out;
  }

  async function curveVersions(prm: string, day: string): Promise<number[]> {
    const rows = await ctx.handle.db
      .selectFrom('curve_day')
      .select('vals')
      .where('prm', '=', prm)
      .where('day', '=', day)
      .orderBy('stored_at')
      .execute();
    return rows.map((r) => Buffer.from(r.vals).readInt32LE(0));
  }

  before(async () => {
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { prm: PRM, segment: 'C4' },
        { prm: OTHER, segment: 'C4' },
      ]),
      { source: 'test.csv', now: W1.from, actor: { type: 'system', id: null, label: 'test' } },
    );
  });

  it('keeps an ended window immutable: a correction in W2 shows in W2 only, W1 still streams its content', async () => {
    await repo().upsertCurveDays([curve(PRM, '2026-03-01', 100), curve(OTHER, '2026-03-01', 500)], at(W1, 1));
    assert.equal((await repo().upsertCurveDays([curve(PRM, '2026-03-01', 200)], at(W2, 1))).length, 1);

    assert.deepEqual(await curvesIn(W1), [
      { key: `${PRM}/2026-03-01`, level: 100, storedAt: at(W1, 1).toISOString() },
      { key: `${OTHER}/2026-03-01`, level: 500, storedAt: at(W1, 1).toISOString() },
    ]);
    assert.deepEqual(await curvesIn(W2), [
      { key: `${PRM}/2026-03-01`, level: 200, storedAt: at(W2, 1).toISOString() },
    ]);
    assert.equal((await repo().readCurve(PRM, '2026-03-01', 'PA', 'BRUT'))?.values[0], 200);
    assert.deepEqual(
      (await repo().readCurves(PRM, '2026-03-01', '2026-03-02')).map((d) => [d.values[0], d.storedAt]),
      [[200, at(W2, 1).toISOString()]],
    );
    assert.deepEqual(await curveVersions(PRM, '2026-03-01'), [100, 200]);
  });

  it('streams a key written several times inside one window once, with its latest content', async () => {
    await repo().upsertCurveDays([curve(PRM, '2026-03-02', 10)], at(W1, 2));
    await repo().upsertCurveDays([curve(PRM, '2026-03-02', 11)], at(W1, 3));
    await repo().upsertCurveDays([curve(PRM, '2026-03-02', 12)], at(W1, 4));
    const w1 = await curvesIn(W1);
    assert.deepEqual(
      w1.filter((d) => d.key === `${PRM}/2026-03-02`),
      [{ key: `${PRM}/2026-03-02`, level: 12, storedAt: at(W1, 4).toISOString() }],
    );
    // Page by page (one row per query) and in one page alike: keys in order, each once.
    assert.deepEqual(
      w1.map((d) => d.key),
      [`${PRM}/2026-03-01`, `${PRM}/2026-03-02`, `${OTHER}/2026-03-01`],
    );
    assert.deepEqual(await curvesIn(W1, 256), w1);
    assert.deepEqual(await curveVersions(PRM, '2026-03-02'), [10, 11, 12]);
  });

  it('creates no version when identical content is written again', async () => {
    assert.deepEqual(
      await repo().upsertCurveDays(
        [curve(PRM, '2026-03-01', 200), curve(OTHER, '2026-03-01', 500)],
        at(W2, 2),
      ),
      [],
    );
    assert.deepEqual(await curveVersions(PRM, '2026-03-01'), [100, 200]);
    assert.deepEqual(await curveVersions(OTHER, '2026-03-01'), [500]);
    // Content equal to an older version but not to the latest one is a change.
    assert.equal((await repo().upsertCurveDays([curve(PRM, '2026-03-01', 100)], at(W2, 3))).length, 1);
    assert.deepEqual(await curveVersions(PRM, '2026-03-01'), [100, 200, 100]);
  });

  it('lets the last write of one instant win, without a second version at that instant', async () => {
    const now = at(W2, 5);
    assert.equal((await repo().upsertCurveDays([curve(OTHER, '2026-03-02', 1)], now)).length, 1);
    assert.equal((await repo().upsertCurveDays([curve(OTHER, '2026-03-02', 2)], now)).length, 1);
    assert.deepEqual(await curveVersions(OTHER, '2026-03-02'), [2]);
    // Back to the content of the previous version within the same instant: no version is left there.
    assert.equal((await repo().upsertCurveDays([curve(OTHER, '2026-03-01', 600)], now)).length, 1);
    assert.deepEqual(await curveVersions(OTHER, '2026-03-01'), [500, 600]);
    assert.equal((await repo().upsertCurveDays([curve(OTHER, '2026-03-01', 500)], now)).length, 1);
    assert.deepEqual(await curveVersions(OTHER, '2026-03-01'), [500]);
    assert.equal(
      (await repo().readCurve(OTHER, '2026-03-01', 'PA', 'BRUT'))?.storedAt,
      at(W1, 1).toISOString(),
    );
    // The same key twice in one call: the last one is stored.
    await repo().upsertCurveDays([curve(OTHER, '2026-03-03', 7), curve(OTHER, '2026-03-03', 8)], now);
    assert.deepEqual(await curveVersions(OTHER, '2026-03-03'), [8]);
  });

  it('never stamps a version before the one it supersedes (a clock that stepped back)', async () => {
    await repo().upsertCurveDays([curve(OTHER, '2026-03-05', 1)], at(W2, 8));
    assert.equal((await repo().upsertCurveDays([curve(OTHER, '2026-03-05', 2)], at(W2, 7))).length, 1);
    const current = await repo().readCurve(OTHER, '2026-03-05', 'PA', 'BRUT');
    assert.equal(current?.values[0], 2);
    assert.equal(current?.storedAt, new Date(at(W2, 8).getTime() + 1).toISOString());
    assert.deepEqual(await curveVersions(OTHER, '2026-03-05'), [1, 2]);
  });

  it('holds one latest version per key at the database level', async () => {
    const row = {
      prm: OTHER,
      day: '2026-03-06',
      quantity: 'PA',
      stage: 'BRUT',
      step_minutes: 10,
      vals: Buffer.alloc(4),
      qualities: Buffer.alloc(2),
    };
    await ctx.handle.db
      .insertInto('curve_day')
      .values({ ...row, stored_at: at(W2, 1).toISOString() })
      .execute();
    await assert.rejects(
      ctx.handle.db
        .insertInto('curve_day')
        .values({ ...row, stored_at: at(W2, 2).toISOString() })
        .execute(),
      /unique/i,
    );
  });

  it('versions index readings the same way', async () => {
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1000)], at(W1, 1)), 1);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1100)], at(W1, 2)), 1);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1200)], at(W2, 1)), 1);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1200)], at(W2, 2)), 0);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1200, 3)], at(W2, 3)), 1);

    assert.deepEqual(await readingsIn(W1), [['2026-03-01', 1100, at(W1, 2).toISOString()]]);
    assert.deepEqual(await readingsIn(W2), [['2026-03-01', 1200, at(W2, 3).toISOString()]]);
    assert.deepEqual(
      (await repo().readIndex(PRM, '2026-03-01', '2026-03-02')).map((r) => [r.valueWh, r.iv]),
      [[1200, 3]],
    );
    assert.deepEqual(
      (await repo().lastIndexBefore(PRM, '2026-03-05')).map((r) => [r.day, r.valueWh]),
      [['2026-03-01', 1200]],
    );

    const now = at(W2, 4);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1300)], now), 1);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1400)], now), 1);
    assert.equal(await repo().upsertIndexReadings([reading('2026-03-01', 1200, 3)], now), 1);
    const versions = await ctx.handle.db
      .selectFrom('index_reading')
      .select(['value_wh', 'iv'])
      .where('prm', '=', PRM)
      .orderBy('stored_at')
      .execute();
    assert.deepEqual(
      versions.map((v) => [Number(v.value_wh), v.iv]),
      [
        [1000, null],
        [1100, null],
        [1200, null],
        [1200, 3],
      ],
    );
  });
});
