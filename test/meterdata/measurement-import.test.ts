import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { before, it } from 'node:test';
import yazl from 'yazl';
import {
  r63Csv,
  r63CsvHeader,
  r63CsvLines,
  r63Json,
  r64Csv,
  r64Json,
} from '../../src/bench/r6x-sample-files.js';
import { encryptStream } from '../../src/crypto/customer-cipher.js';
import { MeasurementRepository, type CurveDay } from '../../src/db/measurement.repository.js';
import { PrmRepository, type PrmRecord } from '../../src/db/prm.repository.js';
import { AppError } from '../../src/domain/app-error.js';
import { addDays } from '../../src/domain/paris-calendar.js';
import { unpackQuality } from '../../src/domain/point-quality.js';
import { correctedDays } from '../../src/meterdata/best-recompute.js';
import { generatePrmDay, indexReadings } from '../../src/meterdata/generator.js';
import {
  importMeasurementFile,
  importMeasurementStream,
} from '../../src/meterdata/import/measurement-import.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { registryCsv } from '../support/registry-fixtures.js';

const NOW = new Date('2026-04-01T08:00:00Z');
const LATER = new Date('2026-04-02T08:00:00Z');
const PRM_A = '40000000000001';
const PRM_B = '40000000000002';
const PRM_B_OFF = '40000000000003';
const KEY = Buffer.alloc(32, 9);
const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-import-test-'));

function file(name: string, content: string | Buffer): string {
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return full;
}

async function zipOf(name: string, content: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(content), name);
  zip.end();
  return buffer(zip.outputStream);
}

async function encrypted(content: Buffer): Promise<Buffer> {
  return buffer(Readable.from([content]).pipe(encryptStream(KEY)));
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  assert.fail('the import was accepted');
}

describeEachEngine('measurement import', (ctx) => {
  let prmA: PrmRecord;
  let prmB: PrmRecord;
  const store = () => new MeasurementRepository(ctx.handle.db);
  const importFile = (full: string, key?: Buffer) =>
    importMeasurementFile(ctx.handle.db, full, { fileName: path.basename(full), now: NOW, key });

  before(async () => {
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { prm: PRM_A, segment: 'C4' },
        { prm: PRM_B, segment: 'C5', collection: '2026-03-01' },
        { prm: PRM_B_OFF, segment: 'C5' },
      ]),
      { source: 't.csv', now: NOW, actor: { type: 'system', id: null, label: 't' } },
    );
    prmA = (await new PrmRepository(ctx.handle.db).find(PRM_A))!;
    prmB = (await new PrmRepository(ctx.handle.db).find(PRM_B))!;
  });

  const curvesA = () =>
    ['2025-10-26', '2025-10-27'].flatMap((day) => generatePrmDay(prmA, day, 3, true).curves);
  const curvesB = () =>
    ['2026-03-29', '2026-03-30'].flatMap((day) => generatePrmDay(prmB, day, 3, true).curves);

  function assertStoredEqual(stored: CurveDay[], expected: CurveDay[]) {
    assert.equal(stored.length, expected.length);
    for (const e of expected) {
      const s = stored.find((d) => d.day === e.day && d.quantity === e.quantity);
      assert.ok(s, `${e.day} ${e.quantity} stored`);
      assert.deepEqual(s.values, e.values);
      assert.deepEqual(s.qualities, e.qualities);
    }
  }

  it('imports an R63 CSV of category A (DST day of 300 points) and reads back the same curves', async () => {
    const expected = curvesA();
    const result = await importFile(file('r63a.csv', r63Csv(expected, 'A')));
    assert.equal(result.parts[0]!.flux, 'R63');
    assert.equal(result.curveDaysChanged, 6);
    assert.equal(result.bestDaysChanged, 2);
    const stored = await store().readCurves(PRM_A, '2025-10-26', '2025-10-28', { stage: 'BRUT' });
    assertStoredEqual(stored, expected);
    assert.equal(stored[0]!.values.length, 300);
  });

  it('corrects a PRM written in several rounds as if its days had come in order', async () => {
    // 350 days of PRM A (over 100 000 points: written when PRM B starts), B, then A's week before
    // its first day, whose 3-hour gap is filled by copying that week before.
    const day = '2024-01-10';
    const weekBefore = '2024-01-03';
    const pa = (d: string) => generatePrmDay(prmA, d, 5, true).curves.find((c) => c.quantity === 'PA')!;
    const first = pa(day);
    first.qualities.fill(0, 100, 136);
    const rest = Array.from({ length: 349 }, (_, i) => pa(addDays(day, i + 1)));
    const lines = [
      ...r63CsvLines([first, ...rest], 'A'),
      ...r63CsvLines([curvesB()[0]!], 'B'),
      ...r63CsvLines([pa(weekBefore)], 'A'),
    ];
    await importFile(file('rounds.csv', [r63CsvHeader(), ...lines].join('\n') + '\n'));
    const raw = new Map([weekBefore, day].map((d) => [d, d === day ? first : pa(d)]));
    const expected = correctedDays(prmA, [weekBefore, day], raw, new Map(), []);
    const stored = await store().readCurve(PRM_A, day, 'PA', 'BEST');
    assert.deepEqual(stored?.values, expected[1]!.values);
    assert.deepEqual(stored?.qualities, expected[1]!.qualities);
    assert.equal(unpackQuality(stored!.qualities[110]!)?.tc, 'A', 'the gap is a copy of the week before');
    assert.deepEqual((await store().readCurve(PRM_A, weekBefore, 'PA', 'BEST'))?.values, expected[0]!.values);
  });

  it('stores nothing when a file fails after a first round of writes was started', async () => {
    const days = Array.from({ length: 350 }, (_, i) =>
      generatePrmDay(prmA, addDays('2023-01-02', i), 6, true).curves.find((c) => c.quantity === 'PA')!,
    );
    const lines = [...r63CsvLines(days, 'A'), ...r63CsvLines([curvesB()[0]!], 'B')];
    for (const [name, tail, message] of [
      ['too-long', 'x'.repeat(70_000), /longer than 65536 bytes/],
      ['bad-value', lines[lines.length - 1]!.replace(/;\d+;B;/, ';1.5;B;'), /is not an integer/],
    ] as const) {
      const error = await rejection(
        importFile(file(`late-${name}.csv`, [r63CsvHeader(), ...lines, tail].join('\n') + '\n')),
      );
      assert.match(error.detail, message);
      assert.deepEqual(await store().readCurves(PRM_A, '2023-01-02', '2024-01-01'), []);
    }
  });

  it('changes nothing when the same file is imported again', async () => {
    const before = await store().readCurves(PRM_A, '2025-10-26', '2025-10-28');
    const again = await importMeasurementFile(ctx.handle.db, path.join(dir, 'r63a.csv'), {
      fileName: 'r63a.csv',
      now: LATER,
    });
    assert.deepEqual([again.curveDaysChanged, again.bestDaysChanged], [0, 0]);
    assert.deepEqual(
      (await store().readCurves(PRM_A, '2025-10-26', '2025-10-28')).map((d) => d.storedAt),
      before.map((d) => d.storedAt),
    );
  });

  it('imports an R63 JSON of category B, zipped and encrypted with the customer key', async () => {
    const expected = curvesB();
    const zip = await zipOf('Enedis_R63B_Q_CdC_M0000KY0_00001_20260401.json', r63Json(expected, 'B'));
    const result = await importFile(file('r63b.zip.enc', await encrypted(zip)), KEY);
    assert.equal(result.parts[0]!.format, 'JSON');
    assertStoredEqual(await store().readCurves(PRM_B, '2026-03-29', '2026-03-31'), expected);
    assert.equal(expected[0]!.values.length, 46);
  });

  it('refuses a wrong key with DECRYPTION_FAILED', async () => {
    const zip = await zipOf('x.csv', r63Csv(curvesB(), 'B'));
    const error = await rejection(
      importFile(file('wrong-key.enc', await encrypted(zip)), Buffer.alloc(32, 1)),
    );
    assert.equal(error.code, 'DECRYPTION_FAILED');
  });

  it('imports R64 CSV and JSON index readings, and the HTTP stream entry point', async () => {
    const days = ['2025-10-26', '2025-10-27'];
    const readingsA = indexReadings(
      prmA,
      days,
      '2025-10-28',
      days.map((d) => generatePrmDay(prmA, d, 3, true).energyWh),
      new Map(),
    );
    const csv = await importFile(file('r64a.csv', r64Csv(readingsA, 'DI000003', 'A')));
    assert.equal(csv.parts[0]!.flux, 'R64');
    assert.equal(csv.indexReadingsChanged, 15);
    const bDays = ['2026-03-29', '2026-03-30'];
    const readingsB = indexReadings(
      prmB,
      bDays,
      '2026-03-31',
      bDays.map((d) => generatePrmDay(prmB, d, 3, true).energyWh),
      new Map(),
    );
    const json = await importMeasurementStream(
      ctx.handle.db,
      Readable.from([Buffer.from(r64Json(readingsB, 'DI000002', 'B'))]),
      {
        fileName: 'r64b.json',
        now: NOW,
      },
    );
    assert.equal(json.indexReadingsChanged, 9);
    const stored = await store().readIndex(PRM_B, '2026-03-29', '2026-04-01');
    assert.deepEqual(
      stored.map((r) => [r.day, r.register, r.valueWh, r.iv]),
      [...readingsB]
        .sort((x, y) => (x.day + x.register).localeCompare(y.day + y.register))
        .map((r) => [r.day, r.register, r.valueWh, r.iv]),
    );
  });

  it('warns, without refusing, when a complete day does not match its index', async () => {
    const bad = indexReadings(prmA, ['2025-11-03'], '2025-11-04', [[1, 2, 3, 4, 5]], new Map([['HCH', 0]]));
    const day = generatePrmDay(prmA, '2025-11-03', 11, true).curves.filter((c) => c.quantity === 'PA');
    await importFile(file('r63-mismatch.csv', r63Csv(day, 'A')));
    const result = await importFile(file('r64-mismatch.csv', r64Csv(bad, 'DI000003', 'A')));
    assert.ok(
      result.warnings.some((w) => /PRM 40000000000001 2025-11-03 \w+: index increase/.test(w)),
      result.warnings.join('\n'),
    );
  });

  const line = (fields: string[]) => fields.join(';');
  const header = r63Csv([], 'A').trim();
  const okA = [
    '40000000000001',
    '2026-01-06 00:00:00',
    '2026-01-06 06:00:00',
    'PA',
    'CONS',
    'BRUT',
    'W',
    '2026-01-05 10:00:00',
    '1200',
    'R',
    'PT5M',
    'null',
    'null',
  ];
  const with_ = (i: number, v: string) => okA.map((f, j) => (j === i ? v : f));

  const badCases: Array<[string, string, RegExp]> = [
    [
      'wrong step',
      [header, line(okA), line(with_(10, 'PT10M'))].join('\n'),
      /line 3 \(Pas\): step "PT10M" is not the PRM's step PT5M/,
    ],
    [
      'unknown PRM',
      [header, line(with_(0, '49999999999999'))].join('\n'),
      /line 2 \(Identifiant PRM\): unknown PRM 49999999999999/,
    ],
    [
      'bad CSV line',
      [header, line(okA), 'garbage;line'].join('\n'),
      /line 3: expected 13 fields separated by ";" but found 2/,
    ],
    [
      'off-grid timestamp',
      [header, line(with_(7, '2026-01-05 10:02:00'))].join('\n'),
      /line 2 \(Horodate\): timestamp 2026-01-05 10:02:00 is not on the PT5M grid/,
    ],
    [
      'spring gap',
      [header, line(with_(7, '2026-03-29 02:30:00'))].join('\n'),
      /is not on the PT5M grid of local day 2026-03-29/,
    ],
    [
      'duplicate',
      [header, line(okA), line(okA)].join('\n'),
      /line 3 \(Horodate\): duplicate point 2026-01-05 10:00:00/,
    ],
    [
      'nature of the other category',
      [header, line(with_(9, 'B'))].join('\n'),
      /line 2 \(Nature\): nature "B" is not allowed for category A BRUT/,
    ],
    [
      'iv on category A',
      [header, line(with_(11, '0'))].join('\n'),
      /iv and ec are only given for category B/,
    ],
    [
      'not an integer',
      [header, line(with_(8, '12.5'))].join('\n'),
      /line 2 \(Valeur\): value "12.5" is not an integer/,
    ],
    [
      'curve of a Linky meter with collection off',
      [
        header,
        line(['40000000000003', ...okA.slice(1, 7), '2026-01-05 10:30:00', '300', 'B', 'PT30M', '0', '0']),
      ].join('\n'),
      /curve collection of PRM 40000000000003 was off on 2026-01-05/,
    ],
  ];
  for (const [name, content, message] of badCases) {
    it(`rejects a CSV with ${name}, naming the line and the rule, and stores nothing`, async () => {
      const error = await rejection(importFile(file(`bad-${name.replace(/\W/g, '-')}.csv`, content + '\n')));
      assert.equal(error.code, 'IMPORT_REJECTED');
      assert.match(error.detail, message);
      assert.match(error.detail, /^bad-[\w-]+\.csv rejected/);
      assert.deepEqual(await store().readCurves(PRM_A, '2026-01-05', '2026-01-06'), []);
    });
  }

  it('merges a PRM that comes back later in the file, and still finds duplicates across its blocks', async () => {
    const day = generatePrmDay(prmA, '2026-01-12', 2, true).curves[0]!;
    const lines = r63Csv([day], 'A').trim().split('\n');
    const lineB = r63Csv([curvesB()[0]!], 'B').trim().split('\n')[1]!;
    const half = Math.floor(lines.length / 2);
    const split = [lines[0]!, ...lines.slice(1, half), lineB, ...lines.slice(half)];
    await importFile(file('split.csv', split.join('\n') + '\n'));
    assert.deepEqual((await store().readCurve(PRM_A, '2026-01-12', 'PA', 'BRUT'))?.values, day.values);
    const again = [lines[0]!, lines[1]!, lineB, lines[1]!];
    const error = await rejection(importFile(file('dup-across.csv', again.join('\n') + '\n')));
    assert.match(error.detail, /line 4 \(Horodate\): duplicate point/);
  });

  it('adds a partial day to what is stored instead of erasing the rest', async () => {
    const day = generatePrmDay(prmA, '2026-01-13', 2, true).curves[0]!;
    await importFile(file('full-day.csv', r63Csv([day], 'A')));
    const changed = {
      ...day,
      values: Int32Array.from(day.values),
      qualities: Uint16Array.from(day.qualities),
    };
    changed.values[100] = 4242;
    changed.qualities[100] = day.qualities[0] || changed.qualities[100]!;
    const onePoint = r63Csv([changed], 'A')
      .trim()
      .split('\n')
      .filter((l, i) => i === 0 || l.includes(';4242;'));
    const result = await importFile(file('one-point.csv', onePoint.join('\n') + '\n'));
    assert.equal(result.curvePoints, 1);
    const stored = await store().readCurve(PRM_A, '2026-01-13', 'PA', 'BRUT');
    assert.equal(stored?.values[100], 4242);
    assert.equal(stored?.values[101], day.values[101]);
    assert.equal(stored?.values.filter((v, i) => v !== day.values[i]).length, 1);
  });

  it('rejects a PRM of the other category than the file announces, once per PRM', async () => {
    const days = ['2026-01-08', '2026-01-09'].flatMap((d) => generatePrmDay(prmA, d, 1, true).curves);
    const error = await rejection(importFile(file('r63b-with-a.json', r63Json(days, 'B'))));
    assert.match(error.detail, /PRM 40000000000001 is category A, the file is for category B/);
    assert.equal(error.detail.match(/is category A/g)?.length, 1);
    assert.deepEqual(await store().readCurves(PRM_A, '2026-01-08', '2026-01-10'), []);
  });

  it('rejects malformed JSON naming the JSON path, and stores nothing', async () => {
    const json = r63Json(curvesA().slice(0, 1), 'A').replace('"v": "', '"v": oops"');
    const error = await rejection(
      importFile(file('malformed.json', json.replace('2025-10-26', '2026-01-06'))),
    );
    assert.match(
      error.detail,
      /\$\.mesures\[0\]\.grandeur\[0\]\.points\[0\]\.v \(line \d+, column \d+\): malformed JSON/,
    );
    assert.deepEqual(await store().readCurves(PRM_A, '2026-01-06', '2026-01-07'), []);
  });

  it('rejects an invalid JSON value naming its path, all or nothing across PRM blocks', async () => {
    const good = generatePrmDay(prmA, '2026-01-07', 1, true).curves.slice(0, 1);
    const doc = JSON.parse(r63Json(good, 'A')) as {
      mesures: Array<{ grandeur: Array<{ points: Array<{ p: string }> }> }>;
    };
    doc.mesures.push(structuredClone(doc.mesures[0]!));
    doc.mesures[1]!.grandeur[0]!.points[17]!.p = 'PT10M';
    const error = await rejection(importFile(file('bad-value.json', JSON.stringify(doc))));
    assert.match(error.detail, /\$\.mesures\[1\]\.grandeur\[0\]\.points\[17\]\.p: step "PT10M"/);
    assert.deepEqual(await store().readCurves(PRM_A, '2026-01-07', '2026-01-08'), []);
  });
});
