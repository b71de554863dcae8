import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { encodeQualities, encodeValues } from '../../src/meterdata/vector-codec.js';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../support/databases.js';
import { migrateUpTo } from '../support/migrations.js';
import { registryCsv } from '../support/registry-fixtures.js';

const PRM = '10000000000021';
const OLD = '2026-02-01T08:00:00.000Z';

const curveRow = (day: string, quantity: string, level: number) => ({
  prm: PRM,
  day,
  quantity,
  stage: 'BRUT',
  step_minutes: 10,
  vals: encodeValues(Int32Array.from({ length: 144 }, (_, i) => level + i)),
  qualities: encodeQualities(new Uint16Array(144).fill(1)),
  stored_at: OLD,
});

for (const engine of TEST_ENGINES) {
  describe(`migration 0006-measurement-versions [${engine}]`, () => {
    let database: TestDatabase | undefined;
    after(async () => {
      await database?.drop();
    });

    it('keeps every stored measurement as the first version of its key', async () => {
      database = await createTestDatabase(engine, { migrate: false });
      const { db } = database.handle;
      const position = MIGRATIONS.findIndex(([name]) => name === '0006-measurement-versions');
      await migrateUpTo(database.handle, MIGRATIONS[position - 1]![0]);
      await importRegistryCsv(db, registryCsv([{ prm: PRM, segment: 'C4' }]), {
        source: 'test.csv',
        now: new Date(OLD),
        actor: { type: 'system', id: null, label: 'test' },
      });
      const curves = [
        curveRow('2026-01-30', 'PA', 100),
        curveRow('2026-01-30', 'PRI', 200),
        curveRow('2026-01-31', 'PA', 300),
      ];
      const readings = [
        { prm: PRM, day: '2026-01-31', register: 'HPH', value_wh: 5_000_000_000, iv: null, stored_at: OLD },
        { prm: PRM, day: '2026-01-31', register: 'HCH', value_wh: 12, iv: null, stored_at: OLD },
      ];
      await db.insertInto('curve_day').values(curves).execute();
      await db.insertInto('index_reading').values(readings).execute();

      assert.deepEqual(
        await migrateToLatest(database.handle),
        MIGRATIONS.slice(position).map(([n]) => n),
      );

      const storedCurves = await db
        .selectFrom('curve_day')
        .selectAll()
        .orderBy('day')
        .orderBy('quantity')
        .execute();
      assert.deepEqual(
        storedCurves.map((r) => ({ ...r, vals: Buffer.from(r.vals), qualities: Buffer.from(r.qualities) })),
        curves.map((c) => ({ ...c, superseded_at: null })),
      );
      const storedReadings = await db.selectFrom('index_reading').selectAll().orderBy('register').execute();
      assert.deepEqual(
        storedReadings.map((r) => ({ ...r, value_wh: Number(r.value_wh) })),
        [readings[1], readings[0]].map((r) => ({ ...r, superseded_at: null })),
      );

      // The new keys accept a second version of a migrated key, and its indexes are there.
      const repo = new MeasurementRepository(db);
      const corrected = Int32Array.from({ length: 144 }, () => 7);
      const now = new Date('2026-02-02T08:00:00Z');
      const changed = await repo.upsertCurveDays(
        [
          {
            prm: PRM,
            day: '2026-01-31',
            quantity: 'PA',
            stage: 'BRUT',
            stepMinutes: 10,
            values: corrected,
            qualities: new Uint16Array(144).fill(1),
          },
        ],
        now,
      );
      assert.equal(changed.length, 1);
      assert.equal(
        await repo.upsertIndexReadings(
          [{ prm: PRM, day: '2026-01-31', register: 'HCH', valueWh: 13, iv: null }],
          now,
        ),
        1,
      );
      assert.equal((await db.selectFrom('curve_day').select('prm').execute()).length, 4);
      assert.equal((await db.selectFrom('index_reading').select('prm').execute()).length, 3);
      assert.deepEqual((await repo.readCurve(PRM, '2026-01-31', 'PA', 'BRUT'))?.values, corrected);
      const indexes =
        engine === 'sqlite'
          ? await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'index' and (name like '%stored_idx' or name like '%latest_uq')`.execute(
              db,
            )
          : await sql<{
              name: string;
            }>`select indexname as name from pg_indexes where indexname like '%stored_idx' or indexname like '%latest_uq'`.execute(
              db,
            );
      assert.deepEqual(indexes.rows.map((r) => r.name).sort(), [
        'curve_day_latest_uq',
        'curve_day_prm_stored_idx',
        'curve_day_stored_idx',
        'index_reading_latest_uq',
        'index_reading_prm_stored_idx',
        'index_reading_stored_idx',
      ]);
    });
  });
}
