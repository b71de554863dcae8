import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { R63_CSV_COLUMNS } from '../../domain/r6x-csv-columns.js';
import { AppError } from '../../domain/app-error.js';
import type { CurvePointInput, IndexReadingInput, Location, MeasurementSink } from './measurement-sink.js';
import { MAX_CSV_LINE_BYTES, readR6xCsv } from './r6x-csv.reader.js';

/** Records what the reader hands on, as plain copies (the reader reuses its point object). */
function recordingSink() {
  const points: Array<CurvePointInput & { where: string }> = [];
  const readings: IndexReadingInput[] = [];
  const errors: string[] = [];
  /** Collection windows handed on, each once per run of lines that share it. */
  const windows: string[] = [];
  const sink = {
    addCurvePoint(p: CurvePointInput, where: Location) {
      points.push({ ...p, where: where('v') });
      return true;
    },
    async curvePoint() {
      throw new Error('not reached: addCurvePoint always takes the point');
    },
    async indexReading(r: IndexReadingInput) {
      readings.push({ ...r });
    },
    error(where: string, rule: string) {
      errors.push(`${where}: ${rule}`);
    },
    rejectNow(where: string, rule: string): never {
      throw new AppError('IMPORT_REJECTED', `${where}: ${rule}`);
    },
    collectionWindow(periode: { dateDebut: unknown; dateFin: unknown }) {
      windows.push(`${String(periode.dateDebut)} → ${String(periode.dateFin)}`);
    },
  };
  return { sink: sink as unknown as MeasurementSink, points, readings, errors, windows };
}

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const header = R63_CSV_COLUMNS.join(';');
const row = (timestamp: string, value: string, nature = 'R', prm = '40000000000001') =>
  [
    prm,
    '2026-01-05 00:00:00',
    '2026-01-06 00:00:00',
    'PA',
    'CONS',
    'BRUT',
    'W',
    timestamp,
    value,
    nature,
    'PT5M',
    'null',
    'null',
  ].join(';');

describe('R6X CSV reader', () => {
  it('hands on the collection window of a run of lines once, and again when it changes', async () => {
    const later = row('2026-01-05 10:10:00', '7').replace(
      '2026-01-05 00:00:00;2026-01-06 00:00:00',
      '2026-01-06 00:00:00;2026-01-07 00:00:00',
    );
    const text = [header, row('2026-01-05 10:00:00', '1'), row('2026-01-05 10:05:00', '2'), later].join('\n');
    const { sink, points, windows } = recordingSink();
    await readR6xCsv(chunksOf(Buffer.from(`${text}\n`), 16), sink);
    assert.equal(points.length, 3);
    assert.deepEqual(windows, [
      '2026-01-05 00:00:00 → 2026-01-06 00:00:00',
      '2026-01-06 00:00:00 → 2026-01-07 00:00:00',
    ]);
  });

  it('refuses an R63 header without « Etape métier » or with a column twice, at line 1', async () => {
    const withoutStage = R63_CSV_COLUMNS.filter((c) => c !== 'Etape métier').join(';');
    for (const [labels, rule] of [
      [withoutStage, /lacks etape metier/],
      [`${header};Valeur`, /column "valeur" twice/],
    ] as const) {
      const { sink } = recordingSink();
      await assert.rejects(
        readR6xCsv(chunksOf(Buffer.from(`${labels}\n${row('2026-01-05 10:00:00', '1')}\n`), 64), sink),
        (error: AppError) =>
          error.code === 'IMPORT_REJECTED' && /^line 1: /.test(error.detail) && rule.test(error.detail),
      );
    }
  });

  const lines = [
    header,
    row('2026-01-05 10:00:00', '1200'),
    row('2026-01-05 10:05:00', '-3'),
    row('2026-01-05 10:10:00', '12.5'),
    row('2026-01-05 10:15:00', '7', 'S'),
    row('2026-01-05 10:20:00', '8', 'R', '40000000000002'),
  ];

  it('reads the same points whatever the chunk sizes, line endings and byte order mark', async () => {
    const expected = recordingSink();
    await readR6xCsv(chunksOf(Buffer.from(lines.join('\n') + '\n'), 1 << 20), expected.sink);
    assert.equal(expected.points.length, 5);
    assert.deepEqual(
      expected.points.map((p) => [p.prm, p.timestamp, p.value, p.nature]),
      [
        ['40000000000001', '2026-01-05 10:00:00', 1200, 'R'],
        ['40000000000001', '2026-01-05 10:05:00', -3, 'R'],
        ['40000000000001', '2026-01-05 10:10:00', '12.5', 'R'],
        ['40000000000001', '2026-01-05 10:15:00', 7, 'S'],
        ['40000000000002', '2026-01-05 10:20:00', 8, 'R'],
      ],
    );
    assert.equal(expected.points[4]!.where, 'line 6 (Valeur)');
    const variants = [
      Buffer.from(lines.join('\r\n') + '\r\n'),
      Buffer.from(lines.join('\n')),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n'))]),
    ];
    for (const bytes of variants) {
      for (const size of [1, 2, 7, 64, 1 << 20]) {
        const got = recordingSink();
        await readR6xCsv(chunksOf(bytes, size), got.sink);
        assert.deepEqual(got.points, expected.points, `chunks of ${size} bytes`);
        assert.deepEqual(got.errors, []);
      }
    }
  });

  it('reads every line as a plain split on ";" would, repeated lines or not', async () => {
    // Lines that repeat the previous one but for time and value, and lines that differ anywhere else.
    const base = row('2026-01-05 10:00:00', '1200').split(';');
    const variants: Array<(f: string[], i: number) => void> = [
      (f, i) => (f[8] = String(i * 37)),
      (f, i) => (f[8] = `-${i}`),
      (f) => (f[8] = '1'.repeat(15)),
      (f) => (f[8] = `-${'1'.repeat(15)}`),
      (f) => (f[8] = '1'.repeat(16)),
      (f) => (f[8] = '12.5'),
      (f) => (f[8] = ''),
      (f) => (f[8] = 'null'),
      (f) => (f[7] = '2026-01-05 10:0x:00'),
      (f) => (f[7] = '2026-01-05 10:05'),
      (f) => (f[7] = '2026-01-05 10:05;00'),
      (f) => (f[9] = 'S'),
      (f) => (f[0] = '40000000000002'),
      (f) => (f[12] = '5'),
      (f) => f.push('extra'),
      (f) => f.splice(3, 1),
    ];
    const lines = [header];
    for (let i = 0; i < 400; i++) {
      const f = [...base];
      f[7] = `2026-01-05 ${String(10 + (Math.floor(i / 12) % 12)).padStart(2, '0')}:${String((i % 12) * 5).padStart(2, '0')}:00`;
      f[8] = String(1000 + i);
      if (i % 7 === 3) variants[((i / 7) % variants.length) | 0]!(f, i);
      lines.push(f.join(';'));
    }
    const text = lines.join('\r\n') + '\r\n';
    const expected: unknown[][] = [];
    text
      .split('\r\n')
      .slice(1, -1)
      .forEach((l) => {
        const f = l.split(';');
        if (f.length !== 13) return;
        const v = /^-?\d+$/.test(f[8]!) && f[8]!.length <= 15 ? Number(f[8]) : f[8];
        expected.push([f[0], f[7], v, f[9], f[12]]);
      });
    for (const size of [3, 101, 4096, 1 << 20]) {
      const got = recordingSink();
      await readR6xCsv(chunksOf(Buffer.from(text), size), got.sink);
      assert.deepEqual(
        got.points.map((p) => [p.prm, p.timestamp, p.value, p.nature, p.ec]),
        expected,
        `chunks of ${size} bytes`,
      );
      assert.equal(got.errors.length, lines.length - 1 - expected.length);
    }
  });

  it('decodes a field that is not ASCII as UTF-8, even split across chunks', async () => {
    const bytes = Buffer.from([header, row('2026-01-05 10:00:00', '1', 'Été')].join('\n'));
    for (const size of [1, 3, 1 << 20]) {
      const got = recordingSink();
      await readR6xCsv(chunksOf(bytes, size), got.sink);
      assert.equal(got.points[0]!.nature, 'Été');
    }
  });

  it('reports a line with the wrong number of fields, and goes on', async () => {
    const bytes = Buffer.from(
      [header, 'garbage;line', row('2026-01-05 10:00:00', '1'), ';'.repeat(200)].join('\n'),
    );
    const got = recordingSink();
    await readR6xCsv(chunksOf(bytes, 5), got.sink);
    assert.deepEqual(got.errors, [
      'line 2: expected 13 fields separated by ";" but found 2',
      'line 4: expected 13 fields separated by ";" but found 64 or more',
    ]);
    assert.equal(got.points.length, 1);
  });

  it(`refuses a line longer than ${MAX_CSV_LINE_BYTES} bytes instead of buffering it`, async () => {
    const bytes = Buffer.from(
      `${header}\n${row('2026-01-05 10:00:00', '1')}\n${'x'.repeat(MAX_CSV_LINE_BYTES + 10)}`,
    );
    // Split over chunks (never held whole), or whole in one chunk, with or without a line feed after it.
    for (const [content, size] of [
      [bytes, 4096],
      [bytes, 1 << 20],
      [Buffer.concat([bytes, Buffer.from('\n')]), 1 << 20],
    ] as const) {
      await assert.rejects(
        readR6xCsv(chunksOf(content, size), recordingSink().sink),
        /line 3: longer than 65536 bytes/,
      );
    }
  });

  it('refuses a file whose first line is not a header of the guide', async () => {
    await assert.rejects(
      readR6xCsv(chunksOf(Buffer.from('a;b;c\n1;2;3\n'), 1 << 20), recordingSink().sink),
      /line 1: not an R63 or R64 CSV header/,
    );
    await assert.rejects(
      readR6xCsv(chunksOf(Buffer.alloc(0), 1), recordingSink().sink),
      /line 1: empty file/,
    );
  });
});
