import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { PrmRepository, type PrmRecord } from '../../src/db/prm.repository.js';
import { generateMeasurements } from '../../src/meterdata/generate-measurements.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { registryCsv } from '../support/registry-fixtures.js';

const NOW = new Date('2026-03-01T08:00:00Z');
const A1 = '20000000000001';
const A2 = '20000000000002';
const B_ON = '20000000000003';

describeEachEngine('measurement generation', (ctx) => {
  let prms: PrmRecord[];
  before(async () => {
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { prm: A1, segment: 'C4' },
        { prm: A2, segment: 'C4' },
        // Collection on from 2026-02-10 only.
        { prm: B_ON, segment: 'C5', collection: '2026-02-10' },
      ]),
      { source: 't.csv', now: NOW, actor: { type: 'system', id: null, label: 't' } },
    );
    const repo = new PrmRepository(ctx.handle.db);
    prms = (await Promise.all([A1, A2, B_ON].map((p) => repo.find(p)))).map((p) => p!);
  });

  it('stores raw curves, index readings and the corrected curve, curves only where collection is on', async () => {
    const r = await generateMeasurements(ctx.handle.db, prms, {
      from: '2026-02-01',
      to: '2026-02-15',
      seed: 5,
      now: NOW,
    });
    assert.equal(r.prms, 3);
    const store = new MeasurementRepository(ctx.handle.db);
    assert.equal((await store.readCurves(A1, '2026-02-01', '2026-02-15', { stage: 'BRUT' })).length, 14 * 3);
    assert.equal((await store.readCurves(A1, '2026-02-01', '2026-02-15', { stage: 'BEST' })).length, 14);
    assert.deepEqual(
      (await store.readCurves(B_ON, '2026-02-01', '2026-02-15')).map((c) => c.day),
      ['2026-02-10', '2026-02-11', '2026-02-12', '2026-02-13', '2026-02-14'],
    );
    assert.equal((await store.readIndex(B_ON, '2026-02-01', '2026-02-16')).length, 15 * 3);
  });

  it('continues the index from what is stored: two runs give the same readings as one', async () => {
    const store = new MeasurementRepository(ctx.handle.db);
    await generateMeasurements(ctx.handle.db, [prms[1]!], {
      from: '2026-02-20',
      to: '2026-02-25',
      seed: 5,
      now: NOW,
    });
    const split = await store.readIndex(A2, '2026-02-25', '2026-02-26');
    // One run over the whole range, continuing from 2026-02-15 as stored by the first test.
    await generateMeasurements(ctx.handle.db, [prms[1]!], {
      from: '2026-02-15',
      to: '2026-02-25',
      seed: 5,
      now: NOW,
    });
    assert.deepEqual(await store.readIndex(A2, '2026-02-25', '2026-02-26'), split);
  });

  it('is a no-op when run again with the same seed', async () => {
    const r = await generateMeasurements(ctx.handle.db, prms, {
      from: '2026-02-01',
      to: '2026-02-15',
      seed: 5,
      now: new Date('2026-03-02T00:00:00Z'),
    });
    assert.deepEqual([r.curveDaysChanged, r.indexReadingsChanged, r.bestDaysChanged], [0, 0, 0]);
  });
});
