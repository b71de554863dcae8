import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { MeasurementRepository, type CurveDay } from '../../src/db/measurement.repository.js';
import { QUALITY } from '../../src/domain/point-quality.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { parseDatabaseUrl } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { describeEachEngine } from '../support/databases.js';
import { registryCsv } from '../support/registry-fixtures.js';

const T0 = new Date('2026-01-10T10:00:00Z');
const T1 = new Date('2026-01-11T10:00:00Z');
const T2 = new Date('2026-01-12T10:00:00Z');
const T3 = new Date('2026-01-13T10:00:00Z');
const PRM_A = '10000000000001';
const PRM_B = '10000000000002';
const PRM_MOVED = '10000000000003';

function curve(prm: string, day: string, seed: number, quantity: CurveDay['quantity'] = 'PA'): CurveDay {
  const values = Int32Array.from({ length: 288 }, (_, i) => 1000 + seed + i);
  return {
    prm,
    day,
    quantity,
    stage: 'BRUT',
    stepMinutes: 5,
    values,
    qualities: new Uint16Array(288).fill(QUALITY.R),
  };
}

describeEachEngine('measurement store', (ctx) => {
  before(async () => {
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { prm: PRM_A, segment: 'C4' },
        { prm: PRM_B, segment: 'C4' },
        { prm: PRM_MOVED, segment: 'C4', end: '2026-01-02' },
        { prm: PRM_MOVED, segment: 'C4', siren: '552100554', entreprise: 'Autre', start: '2026-01-02' },
      ]),
      { source: 'test.csv', now: T0, actor: { type: 'system', id: null, label: 'test' } },
    );
  });

  it('stores curve days and reads them back equal', async () => {
    const repo = new MeasurementRepository(ctx.handle.db);
    const days = [
      curve(PRM_A, '2026-01-01', 0),
      curve(PRM_A, '2026-01-01', 5, 'PRI'),
      curve(PRM_A, '2026-01-02', 1),
    ];
    const changed = await repo.upsertCurveDays(days, T0);
    assert.equal(changed.length, 3);
    const read = await repo.readCurves(PRM_A, '2026-01-01', '2026-01-03');
    assert.deepEqual(
      read.map((d) => [d.day, d.quantity, d.storedAt]),
      [
        ['2026-01-01', 'PA', T0.toISOString()],
        ['2026-01-01', 'PRI', T0.toISOString()],
        ['2026-01-02', 'PA', T0.toISOString()],
      ],
    );
    assert.deepEqual(read[0]!.values, days[0]!.values);
    assert.deepEqual(read[0]!.qualities, days[0]!.qualities);
  });

  it('keeps the version when identical content is written again, and makes a new one when it changes', async () => {
    const repo = new MeasurementRepository(ctx.handle.db);
    assert.deepEqual(await repo.upsertCurveDays([curve(PRM_A, '2026-01-01', 0)], T1), []);
    const changedDay = curve(PRM_A, '2026-01-02', 1);
    changedDay.values[10] = 7;
    assert.equal((await repo.upsertCurveDays([changedDay, curve(PRM_A, '2026-01-01', 0)], T1)).length, 1);
    const read = await repo.readCurves(PRM_A, '2026-01-01', '2026-01-03', { quantity: 'PA' });
    assert.deepEqual(
      read.map((d) => d.storedAt),
      [T0.toISOString(), T1.toISOString()],
    );
    assert.equal(read[1]!.values[10], 7);
  });

  it('streams the versions stored in a window in key order, page by page', async () => {
    const repo = new MeasurementRepository(ctx.handle.db);
    await repo.upsertCurveDays(
      [curve(PRM_B, '2026-01-01', 2), curve(PRM_B, '2026-01-03', 3), curve(PRM_B, '2025-12-31', 4)],
      T1,
    );
    const seen: string[] = [];
    for await (const d of repo.streamCurveVersions(
      { prms: [PRM_B, PRM_A] },
      { from: T1, to: T2 },
      { stage: 'BRUT', quantities: ['PA', 'PRI'] },
      2,
    ))
      seen.push(`${d.prm}/${d.day}/${d.quantity}`);
    assert.deepEqual(seen, [
      `${PRM_A}/2026-01-02/PA`,
      `${PRM_B}/2025-12-31/PA`,
      `${PRM_B}/2026-01-01/PA`,
      `${PRM_B}/2026-01-03/PA`,
    ]);
    const none: string[] = [];
    for await (const d of repo.streamCurveVersions(
      { prms: [PRM_A] },
      { from: T0, to: T1 },
      { stage: 'BEST', quantities: ['PA'] },
    ))
      none.push(d.day);
    assert.deepEqual(none, []);
  });

  it('gives a SIREN only the days its PRMs were attached to it', async () => {
    const repo = new MeasurementRepository(ctx.handle.db);
    await repo.upsertCurveDays([curve(PRM_MOVED, '2026-01-01', 0), curve(PRM_MOVED, '2026-01-02', 0)], T1);
    const days = async (siren: string) => {
      const out: string[] = [];
      for await (const d of repo.streamCurveVersions(
        { siren, category: 'A' },
        { from: T1, to: T2 },
        { stage: 'BRUT', quantities: ['PA'] },
      ))
        if (d.prm === PRM_MOVED) out.push(d.day);
      return out;
    };
    assert.deepEqual(await days('356000000'), ['2026-01-01']);
    assert.deepEqual(await days('552100554'), ['2026-01-02']);
    const b: string[] = [];
    for await (const d of repo.streamCurveVersions(
      { siren: '356000000', category: 'B' },
      { from: T0, to: T2 },
      { stage: 'BRUT', quantities: ['PA'] },
    ))
      b.push(d.prm);
    assert.deepEqual(b, []);
  });

  it("reads a publication's window with its PRMs' facts, the same through a cursor and keyset pages", async () => {
    await new MeasurementRepository(ctx.handle.db).upsertCurveDays(
      [
        curve(PRM_B, '2026-01-05', 1),
        curve(PRM_A, '2026-01-05', 2, 'PRI'),
        curve(PRM_A, '2026-01-05', 3),
        curve(PRM_B, '2026-01-04', 4),
        curve(PRM_MOVED, '2026-01-05', 5),
      ],
      T2,
    );
    const read = async (repo: MeasurementRepository) => {
      const pages: string[][] = [];
      for await (const page of repo.streamPublicationCurvePages(
        { siren: '356000000', category: 'A', collectedOnly: false },
        { from: T2, to: T3 },
        { stage: 'BRUT', quantities: ['PA', 'PRI'] },
        2,
      ))
        pages.push(
          page.map((d) => `${d.prm}/${d.day}/${d.quantity}/${d.values[0]}/${d.prmStep}/${d.contractNumber}`),
        );
      return pages;
    };
    const expected = [
      [`${PRM_A}/2026-01-05/PA/1003/PT5M/CTR-000001`, `${PRM_A}/2026-01-05/PRI/1002/PT5M/CTR-000001`],
      [`${PRM_B}/2026-01-04/PA/1004/PT5M/CTR-000002`, `${PRM_B}/2026-01-05/PA/1001/PT5M/CTR-000002`],
    ];
    // Without the engine the read pages by keys; with it, PostgreSQL reads through a cursor.
    assert.deepEqual(await read(new MeasurementRepository(ctx.handle.db)), expected);
    assert.deepEqual(await read(new MeasurementRepository(ctx.handle.db)), expected);
  });

  it('frees the connection of a publication read stopped after its first page', async () => {
    // One connection only: a cursor left open would hold it and the next query would wait forever.
    const handle = openDatabase(parseDatabaseUrl(ctx.url), { poolSize: 1 });
    try {
      const repo = new MeasurementRepository(handle.db);
      for await (const page of repo.streamPublicationCurvePages(
        { siren: '356000000', category: 'A', collectedOnly: false },
        { from: T2, to: T3 },
        { stage: 'BRUT', quantities: ['PA', 'PRI'] },
        1,
      )) {
        assert.equal(page.length, 1);
        break;
      }
      const timeout = new Promise((_, reject) => {
        setTimeout(() => reject(new Error('the connection was not given back')), 5000).unref();
      });
      const days = await Promise.race([repo.readCurves(PRM_A, '2026-01-05', '2026-01-06'), timeout]);
      assert.equal((days as unknown[]).length, 2);
    } finally {
      // Bounded too: a pool whose connection was never given back does not close either.
      await Promise.race([handle.destroy(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    }
  });

  it('versions index readings the same way', async () => {
    const repo = new MeasurementRepository(ctx.handle.db);
    const readings = [
      { prm: PRM_A, day: '2026-01-01', register: 'HPH', valueWh: 5_000_000_000, iv: null },
      { prm: PRM_A, day: '2026-01-01', register: 'HCH', valueWh: 12, iv: null },
    ];
    assert.equal(await repo.upsertIndexReadings(readings, T0), 2);
    assert.equal(await repo.upsertIndexReadings(readings, T1), 0);
    assert.equal(await repo.upsertIndexReadings([{ ...readings[1]!, valueWh: 13 }], T1), 1);
    const read = await repo.readIndex(PRM_A, '2026-01-01', '2026-01-02');
    assert.deepEqual(
      read.map((r) => [r.register, r.valueWh, r.storedAt]),
      [
        ['HCH', 13, T1.toISOString()],
        ['HPH', 5_000_000_000, T0.toISOString()],
      ],
    );
    const streamed: string[] = [];
    for await (const r of repo.streamIndexVersions({ siren: '356000000' }, { from: T1, to: T2 }, 1))
      streamed.push(r.register);
    assert.deepEqual(streamed, ['HCH']);
    assert.deepEqual(
      (await repo.lastIndexBefore(PRM_A, '2026-01-05')).map((r) => r.register),
      ['HCH', 'HPH'],
    );
  });
});
