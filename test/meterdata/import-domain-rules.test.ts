import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { r63CsvHeader } from '../../src/bench/r6x-sample-files.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { AppError } from '../../src/domain/app-error.js';
import { R64_CSV_COLUMNS } from '../../src/domain/r6x-csv-columns.js';
import { MEASUREMENT_RANGES } from '../../src/meterdata/import/import-limits.js';
import { importMeasurementFile, type ImportResult } from '../../src/meterdata/import/measurement-import.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { storedVersions } from '../support/measurement-snapshot.js';
import { registryCsv, sirenNumber } from '../support/registry-fixtures.js';

/*
 * Domain rules of imported files: values within what is stored, dates within the measurement range and
 * the file's collection window, and a file addressed to one SIREN only carrying PRMs of its entreprise.
 */

const NOW = new Date('2026-04-01T08:00:00Z');
const ALPHA = '356000000';
/** A second SIREN of Alpha's entreprise. */
const ALPHA_2 = sirenNumber(1);
const BETA = '552100554';
/** Alpha, category A (PT5M). */
const PRM_A = '41000000000001';
/** Alpha, category B (PT30M), curve collection on. */
const PRM_B = '41000000000002';
/** Alpha's second SIREN, category A. */
const PRM_SISTER = '41000000000003';
/** Beta, category A. */
const PRM_BETA = '41000000000004';
/** Category A, Beta's until 2026-01-06, Alpha's from that day. */
const PRM_MOVED = '41000000000005';

/** The collection window of most files here: the points are from the days before it. */
const WINDOW = { dateDebut: '2026-01-07 00:00:00', dateFin: '2026-01-08 00:00:00' };

/** In place of a periode: the element has none. */
const NO_PERIODE = Symbol('no periode');

const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-domain-rules-'));
let fileCount = 0;

function write(content: string): { full: string; name: string } {
  const name = `file-${++fileCount}`;
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return { full, name };
}

type Point = { d: string; v: unknown; p?: string };

function header(codeFlux: string, recipient: string | null = ALPHA): Record<string, unknown> {
  return {
    siDemandeur: 'LINCS',
    typeDestinataire: 'ENTREPRISE',
    ...(recipient === null ? {} : { idDestinataire: recipient }),
    codeFlux,
    idDemande: 'M0000KY0',
    modePublication: 'Q',
    format: 'JSON',
    idPublication: '1',
    publicationCrp: 'non',
  };
}

/** An R63 `mesures` element of one PRM's active power. */
function r63Element(
  idPrm: string,
  category: 'A' | 'B',
  points: Point[],
  periode: unknown = WINDOW,
): Record<string, unknown> {
  return {
    idPrm,
    etapeMetier: 'BRUT',
    ...(periode === NO_PERIODE ? {} : { periode }),
    modeCalcul: 'MESURE',
    grandeur: [
      {
        grandeurMetier: 'CONS',
        grandeurPhysique: 'PA',
        unite: 'W',
        points: points.map((p) =>
          category === 'A'
            ? { v: p.v, d: p.d, p: p.p ?? 'PT5M', n: 'R', iv: null, ec: null }
            : { v: p.v, d: p.d, p: p.p ?? 'PT30M', n: 'B', iv: 0, ec: 0 },
        ),
      },
    ],
  };
}

/** An R64 `mesures` element of one category A PRM: readings of its HPH register. */
function r64Element(idPrm: string, readings: Point[], periode: unknown = WINDOW): Record<string, unknown> {
  return {
    idPrm,
    ...(periode === NO_PERIODE ? {} : { periode }),
    contexte: [
      {
        etapeMetier: 'BRUT',
        contexteReleve: 'FMR',
        typeReleve: 'RC',
        grandeur: [
          {
            grandeurMetier: 'CONS',
            grandeurPhysique: 'EA',
            unite: 'Wh',
            calendrier: [
              {
                idCalendrier: 'DI000003',
                libelleGrille: 'Distributeur',
                classeTemporelle: [{ idClasseTemporelle: 'HPH', valeur: readings }],
              },
            ],
          },
        ],
      },
    ],
  };
}

function json(codeFlux: string, mesures: unknown[], recipient: string | null = ALPHA): string {
  return JSON.stringify({ header: header(codeFlux, recipient), echeances: { type: 'immediat' }, mesures });
}

/** Points of a category A PRM every 5 minutes from `first` (same day). */
function pointsA(
  day: string,
  first: string,
  count: number,
  value = (i: number) => String(1000 + i),
): Point[] {
  const [h, m] = first.split(':').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const minutes = h * 60 + m + 5 * i;
    const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    return { d: `${day} ${hh}:${mm}:00`, v: value(i) };
  });
}

function r63CsvLine(prm: string, d: string, v: string, category: 'A' | 'B' = 'A'): string {
  return [
    prm,
    WINDOW.dateDebut,
    WINDOW.dateFin,
    'PA',
    'CONS',
    'BRUT',
    'W',
    d,
    v,
    category === 'A' ? 'R' : 'B',
    category === 'A' ? 'PT5M' : 'PT30M',
    category === 'A' ? 'null' : '0',
    category === 'A' ? 'null' : '0',
  ].join(';');
}

function r63Csv(lines: string[]): string {
  return [r63CsvHeader(), ...lines].join('\n') + '\n';
}

function r64CsvLine(prm: string, d: string, v: string): string {
  return [
    prm,
    WINDOW.dateDebut,
    WINDOW.dateFin,
    'EA',
    'CONS',
    'BRUT',
    'Wh',
    d,
    'FMR',
    'RC',
    'null',
    'D',
    'DI000003',
    'Pointe, heures pleines et creuses hiver et été',
    'HPH',
    'Heures Pleines Hiver',
    'EA2',
    v,
    'null',
  ].join(';');
}

function r64Csv(lines: string[]): string {
  return [R64_CSV_COLUMNS.join(';'), ...lines].join('\n') + '\n';
}

describeEachEngine('import domain rules', (ctx) => {
  const store = () => new MeasurementRepository(ctx.handle.db);
  const importText = (content: string, options: { bulkFeed?: boolean } = {}): Promise<ImportResult> => {
    const { full, name } = write(content);
    return importMeasurementFile(ctx.handle.db, full, { fileName: name, now: NOW, ...options });
  };

  const rows = () => storedVersions(ctx.handle.db);

  /** Imports `content`, expects IMPORT_REJECTED matching every pattern, and no row changed. */
  async function assertRefused(
    content: string,
    patterns: RegExp[],
    options: { bulkFeed?: boolean } = {},
  ): Promise<string> {
    const before = await rows();
    let error: unknown;
    try {
      await importText(content, options);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof AppError, `expected a refusal, got ${String(error)}`);
    assert.equal(error.code, 'IMPORT_REJECTED', error.detail);
    for (const pattern of patterns) assert.match(error.detail, pattern);
    assert.equal(await rows(), before, 'a rejected file changes no row');
    return error.detail;
  }

  before(async () => {
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { entreprise: 'Alpha SA', siren: ALPHA, prm: PRM_A, segment: 'C4' },
        { entreprise: 'Alpha SA', siren: ALPHA, prm: PRM_B, segment: 'C5', collection: '2024-01-01' },
        { entreprise: 'Alpha SA', siren: ALPHA_2, prm: PRM_SISTER, segment: 'C4' },
        { entreprise: 'Beta SA', siren: BETA, prm: PRM_BETA, segment: 'C4' },
        { entreprise: 'Beta SA', siren: BETA, prm: PRM_MOVED, segment: 'C4', end: '2026-01-06' },
        { entreprise: 'Alpha SA', siren: ALPHA, prm: PRM_MOVED, segment: 'C4', start: '2026-01-06' },
      ]),
      { source: 't.csv', now: NOW, actor: { type: 'system', id: null, label: 't' } },
    );
    // Stored data a rejected file must not touch.
    await importText(
      r63Csv([
        ...pointsA('2026-01-04', '10:00', 3).map((p) => r63CsvLine(PRM_A, p.d, String(p.v))),
        ...pointsA('2026-01-04', '10:00', 3).map((p) => r63CsvLine(PRM_BETA, p.d, String(p.v))),
      ]),
    );
  });

  describe('values', () => {
    it('refuses curve values outside the stored 32-bit range, in CSV, naming the line', async () => {
      const detail = await assertRefused(
        r63Csv([
          r63CsvLine(PRM_A, '2026-01-05 10:00:00', '1200'),
          r63CsvLine(PRM_A, '2026-01-05 10:05:00', '2147483648'),
          r63CsvLine(PRM_A, '2026-01-05 10:10:00', '4294967297'),
          r63CsvLine(PRM_A, '2026-01-05 10:15:00', '-2147483649'),
          r63CsvLine(PRM_A, '2026-01-05 10:20:00', '12345678901234567890'),
          r63CsvLine(PRM_A, '2026-01-05 10:25:00', '-0000000000000000000000000000007'),
          r63CsvLine(PRM_A, '2026-01-05 10:30:00', '12.5'),
        ]),
        [
          /line 3 \(Valeur\): value 2147483648 is outside the stored range -2147483648…2147483647/,
          /line 4 \(Valeur\): value 4294967297 is outside/,
          /line 5 \(Valeur\): value -2147483649 is outside/,
          /line 6 \(Valeur\): value 12345678901234567890 is outside/,
          /line 8 \(Valeur\): value "12\.5" is not an integer/,
        ],
      );
      assert.doesNotMatch(detail, /line 7/, 'a long run of zeros is still the integer -7');
    });

    it('refuses curve values outside the stored range in JSON, naming the point', async () => {
      const points: Point[] = [
        { d: '2026-01-05 10:00:00', v: '2147483648' },
        { d: '2026-01-05 10:05:00', v: 1e20 },
        { d: '2026-01-05 10:10:00', v: '99999999999999999999999' },
        { d: '2026-01-05 10:15:00', v: 1.5 },
      ];
      await assertRefused(json('R63A', [r63Element(PRM_A, 'A', points)]), [
        /\$\.mesures\[0\]\.grandeur\[0\]\.points\[0\]\.v: value 2147483648 is outside the stored range/,
        /\$\.mesures\[0\]\.grandeur\[0\]\.points\[1\]\.v: value 100000000000000000000 is outside/,
        /\$\.mesures\[0\]\.grandeur\[0\]\.points\[2\]\.v: value 99999999999999999999999 is outside/,
        /\$\.mesures\[0\]\.grandeur\[0\]\.points\[3\]\.v: value "1\.5" is not an integer/,
      ]);
    });

    it('stores the bounds of the 32-bit range as they are', async () => {
      await importText(
        r63Csv([
          r63CsvLine(PRM_A, '2026-01-02 10:00:00', String(MEASUREMENT_RANGES.maxCurveValue)),
          r63CsvLine(PRM_A, '2026-01-02 10:05:00', String(MEASUREMENT_RANGES.minCurveValue)),
        ]),
      );
      const stored = await store().readCurve(PRM_A, '2026-01-02', 'PA', 'BRUT');
      assert.deepEqual([stored?.values[120], stored?.values[121]], [2147483647, -2147483648]);
    });

    it('refuses index values outside 0…maxIndexWh and non-integers, in JSON and CSV', async () => {
      const at = (v: unknown, day: string) => ({ d: `${day} 00:00:00`, v });
      const path = (i: number) =>
        `\\$\\.mesures\\[0\\]\\.contexte\\[0\\]\\.grandeur\\[0\\]\\.calendrier\\[0\\]\\.classeTemporelle\\[0\\]\\.valeur\\[${i}\\]\\.v`;
      await assertRefused(
        json('R64A', [
          r64Element(PRM_A, [
            at(1e20, '2026-01-01'),
            at(1e308, '2026-01-02'),
            at('1000000000000000', '2026-01-03'),
            at(-1, '2026-01-04'),
            at(1.5, '2026-01-05'),
          ]),
        ]),
        [
          new RegExp(`${path(0)}: index value 100000000000000000000 is outside 0…999999999999999 Wh`),
          new RegExp(`${path(1)}: index value 1e\\+308 is outside`),
          new RegExp(`${path(2)}: index value 1000000000000000 is outside`),
          new RegExp(`${path(3)}: index value -1 is outside`),
          new RegExp(`${path(4)}: index value "1\\.5" is not an integer`),
        ],
      );
      await assertRefused(
        r64Csv([
          r64CsvLine(PRM_A, '2026-01-01 00:00:00', '100000000000000000000'),
          r64CsvLine(PRM_A, '2026-01-02 00:00:00', '1000000000000000'),
        ]),
        [
          /line 2 \(Valeur\): index value 100000000000000000000 is outside/,
          /line 3 \(Valeur\): .* is outside/,
        ],
      );
    });

    it('stores the largest index value exactly', async () => {
      await importText(r64Csv([r64CsvLine(PRM_A, '2026-01-02 00:00:00', '999999999999999')]));
      const stored = await store().readIndex(PRM_A, '2026-01-02', '2026-01-03');
      assert.deepEqual(
        stored.map((r) => r.valueWh),
        [MEASUREMENT_RANGES.maxIndexWh],
      );
    });
  });

  describe('dates', () => {
    const odd = [
      '2023-02-30 00:00:00',
      '9999-12-31 23:30:00',
      '0000-01-01 00:00:00',
      '2023-13-01 00:00:00',
      '2023-09-19 24:00:00',
      '1900-01-01 10:00:00',
      '1999-12-31 23:55:00',
      '2100-01-01 00:30:00',
      'abcd-ef-gh 00:00:00',
    ];
    for (const category of ['A', 'B'] as const) {
      it(`refuses odd or out-of-range timestamps of category ${category} curves with their line, never a RangeError`, async () => {
        for (const d of odd) {
          const prm = category === 'A' ? PRM_A : PRM_B;
          await assertRefused(r63Csv([r63CsvLine(prm, d, '300', category)]), [/line 2 \(Horodate\): /]);
          await assertRefused(json(`R63${category}`, [r63Element(prm, category, [{ d, v: '300' }])]), [
            /\$\.mesures\[0\]\.grandeur\[0\]\.points\[0\]\.d: /,
          ]);
        }
      });
    }

    it('refuses a day outside the measurement range saying so', async () => {
      await assertRefused(r63Csv([r63CsvLine(PRM_A, '1900-01-01 10:00:00', '300')]), [
        /line 2 \(Horodate\): day 1900-01-01 is outside the measurement range 2000-01-01 to 2099-12-31/,
      ]);
      // Category B stamps the end of the interval: 2000-01-01 00:00:00 closes the last one of 1999-12-31.
      await assertRefused(r63Csv([r63CsvLine(PRM_B, '2000-01-01 00:00:00', '300', 'B')]), [
        /line 2 \(Horodate\): day 1999-12-31 is outside the measurement range/,
      ]);
    });

    it('refuses odd or out-of-range index reading dates', async () => {
      for (const d of [
        '2023-02-30 00:00:00',
        '9999-12-31 00:00:00',
        '1999-12-31 00:00:00',
        '0000-01-01 00:00:00',
      ]) {
        await assertRefused(r64Csv([r64CsvLine(PRM_A, d, '1000')]), [/line 2 \(Horodate\): /]);
        await assertRefused(json('R64A', [r64Element(PRM_A, [{ d, v: 1000 }])]), [/\.valeur\[0\]\.d: /]);
      }
    });
  });

  describe('collection windows (JSON periode)', () => {
    const broken: Array<[string, unknown, RegExp]> = [
      [
        'inverted',
        { dateDebut: '2026-01-08 00:00:00', dateFin: '2026-01-07 00:00:00' },
        /\$\.mesures\[0\]\.periode\.dateFin: dateFin 2026-01-07 00:00:00 is not after dateDebut 2026-01-08 00:00:00/,
      ],
      [
        'empty',
        { dateDebut: '2026-01-07 00:00:00', dateFin: '2026-01-07 00:00:00' },
        /\$\.mesures\[0\]\.periode\.dateFin: dateFin 2026-01-07 00:00:00 is not after dateDebut/,
      ],
      [
        'in year 9999',
        { dateDebut: '2026-01-07 00:00:00', dateFin: '9999-12-31 00:00:00' },
        /\$\.mesures\[0\]\.periode\.dateFin: .*outside the measurement range/,
      ],
      [
        'on 30 February',
        { dateDebut: '2023-02-30 00:00:00', dateFin: '2026-01-08 00:00:00' },
        /\$\.mesures\[0\]\.periode\.dateDebut: "2023-02-30 00:00:00" is not a local timestamp AAAA-MM-JJ hh:mm:ss/,
      ],
      [
        'written as an ISO instant',
        { dateDebut: '2026-01-07T00:00:00Z', dateFin: '2026-01-08 00:00:00' },
        /\$\.mesures\[0\]\.periode\.dateDebut: .* is not a local timestamp/,
      ],
      ['missing', NO_PERIODE, /\$\.mesures\[0\]\.periode: required/],
      ['not an object', 'hier', /\$\.mesures\[0\]\.periode: .*must be an object/],
    ];
    for (const [name, periode, message] of broken) {
      it(`refuses a periode ${name}, in R63 and R64`, async () => {
        await assertRefused(
          json('R63A', [r63Element(PRM_A, 'A', pointsA('2026-01-05', '10:00', 2), periode)]),
          [message],
        );
        await assertRefused(
          json('R64A', [r64Element(PRM_A, [{ d: '2026-01-05 00:00:00', v: 1000 }], periode)]),
          [message],
        );
      });
    }

    it('refuses an odd horodateDebutPublication in echeances', async () => {
      const doc = JSON.parse(json('R63A', [r63Element(PRM_A, 'A', pointsA('2026-01-05', '10:00', 2))])) as {
        echeances: Record<string, string>;
      };
      doc.echeances = { type: 'heureFixe', horodateDebutPublication: '2023-02-30 10:00:00' };
      await assertRefused(JSON.stringify(doc), [/\$\.echeances\.horodateDebutPublication: /]);
    });

    const until = { dateDebut: '2026-01-07 00:00:00', dateFin: '2026-01-07 12:00:00' };

    it('refuses a category A point starting at or after dateFin, and keeps points before dateDebut', async () => {
      // 11:50, 11:55 start before 12:00; 12:00 and 12:05 start at or after it.
      const late = [...pointsA('2026-01-06', '10:00', 1), ...pointsA('2026-01-07', '11:50', 4)];
      await assertRefused(json('R63A', [r63Element(PRM_A, 'A', late, until)]), [
        /\$\.mesures\[0\]\.grandeur\[0\]\.points\[3\]\.d: point 2026-01-07 12:00:00 was measured after the end of the file's collection window \(dateFin 2026-01-07 12:00:00\)/,
      ]);
      await assertRefused(json('R63A', [r63Element(PRM_A, 'A', pointsA('2026-01-09', '10:00', 1), until)]), [
        /points\[0\]\.d: point 2026-01-09 10:00:00 was measured after the end of the file's collection window/,
      ]);
      await importText(json('R63A', [r63Element(PRM_A, 'A', late.slice(0, 3), until)]));
      const stored = await store().readCurves(PRM_A, '2026-01-06', '2026-01-08', { stage: 'BRUT' });
      assert.deepEqual(
        stored.map((c) => [c.day, c.qualities.filter((q) => q !== 0).length]),
        [
          ['2026-01-06', 1],
          ['2026-01-07', 2],
        ],
      );
    });

    it('reads the window of CSV lines from « Date de début » and « Date de fin », line by line', async () => {
      const line = (d: string, debut: string, fin: string) =>
        r63CsvLine(PRM_A, d, '100').replace(`${WINDOW.dateDebut};${WINDOW.dateFin}`, `${debut};${fin}`);
      await assertRefused(
        r63Csv([line('2026-01-06 10:00:00', '2026-01-08 00:00:00', '2026-01-07 00:00:00')]),
        [/line 2 \(Date de fin\): dateFin 2026-01-07 00:00:00 is not after dateDebut 2026-01-08 00:00:00/],
      );
      await assertRefused(
        r63Csv([line('2026-01-06 10:00:00', '2026-02-30 00:00:00', '2026-03-01 00:00:00')]),
        [/line 2 \(Date de début\): "2026-02-30 00:00:00" is not a local timestamp/],
      );
      await assertRefused(
        r63Csv([
          line('2026-01-06 10:00:00', '2026-01-07 00:00:00', '2026-01-08 00:00:00'),
          line('2026-01-08 10:00:00', '2026-01-07 00:00:00', '2026-01-08 00:00:00'),
        ]),
        [
          /line 3 \(Horodate\): point 2026-01-08 10:00:00 was measured after the end of the file's collection window/,
        ],
      );
      // Each line in its own window: the same point after a later window's start is fine.
      await importText(
        r63Csv([
          line('2026-01-06 10:00:00', '2026-01-07 00:00:00', '2026-01-08 00:00:00'),
          line('2026-01-08 10:00:00', '2026-01-09 00:00:00', '2026-01-10 00:00:00'),
        ]),
      );
    });

    it('judges a category B point by the start of its interval (its stamp is the end)', async () => {
      const points = [
        { d: '2026-01-07 11:30:00', v: '300' },
        { d: '2026-01-07 12:00:00', v: '300' },
        { d: '2026-01-07 12:30:00', v: '300' },
      ];
      await assertRefused(json('R63B', [r63Element(PRM_B, 'B', points, until)]), [
        /points\[2\]\.d: point 2026-01-07 12:30:00 was measured after the end/,
      ]);
      await importText(json('R63B', [r63Element(PRM_B, 'B', points.slice(0, 2), until)]));
      const stored = await store().readCurve(PRM_B, '2026-01-07', 'PA', 'BRUT');
      assert.equal(stored?.qualities.filter((q) => q !== 0).length, 2);
    });

    it('refuses an index reading at or after dateFin', async () => {
      await assertRefused(
        json('R64A', [
          r64Element(
            PRM_A,
            [
              { d: '2026-01-07 00:00:00', v: 1000 },
              { d: '2026-01-08 00:00:00', v: 2000 },
            ],
            until,
          ),
        ]),
        [
          /valeur\[1\]\.d: reading 2026-01-08 00:00:00 was measured after the end of the file's collection window/,
        ],
      );
    });

    it('takes each element by its own window', async () => {
      const early = { dateDebut: '2026-01-05 00:00:00', dateFin: '2026-01-05 12:00:00' };
      await assertRefused(
        json('R63A', [
          r63Element(PRM_A, 'A', pointsA('2026-01-05', '13:00', 1)),
          r63Element(PRM_SISTER, 'A', pointsA('2026-01-05', '13:00', 1), early),
        ]),
        [/\$\.mesures\[1\]\.grandeur\[0\]\.points\[0\]\.d: point 2026-01-05 13:00:00 was measured after/],
      );
    });
  });

  describe('steps', () => {
    it("refuses a point whose step is not the PRM's", async () => {
      await assertRefused(
        json('R63A', [r63Element(PRM_A, 'A', [{ d: '2026-01-05 10:00:00', v: '1', p: 'PT10M' }])]),
        [/\$\.mesures\[0\]\.grandeur\[0\]\.points\[0\]\.p: step "PT10M" is not the PRM's step PT5M/],
      );
    });
  });

  describe('recipient', () => {
    const alphaAndBeta = (recipient: string | null = ALPHA) =>
      json(
        'R63A',
        [
          r63Element(
            PRM_A,
            'A',
            pointsA('2026-01-04', '10:00', 3, () => '7777'),
          ),
          r63Element(
            PRM_BETA,
            'A',
            pointsA('2026-01-04', '10:00', 3, () => '7777'),
          ),
        ],
        recipient,
      );

    it("refuses a file carrying another entreprise's PRM, changing nothing, and imports it as a bulk feed", async () => {
      const betaBefore = await store().readCurve(PRM_BETA, '2026-01-04', 'PA', 'BRUT');
      const detail = await assertRefused(alphaAndBeta(), [
        /\$\.mesures\[1\]\.idPrm: PRM 41000000000004 is not attached to the entreprise of SIREN 356000000 on 2026-01-04 \(the file's recipient\); import it as a bulk feed if it is one/,
      ]);
      assert.equal(detail.match(/is not attached/g)?.length, 1, 'reported once per PRM');
      assert.deepEqual(await store().readCurve(PRM_BETA, '2026-01-04', 'PA', 'BRUT'), betaBefore);
      await importText(alphaAndBeta(), { bulkFeed: true });
      assert.equal((await store().readCurve(PRM_BETA, '2026-01-04', 'PA', 'BRUT'))?.values[120], 7777);
      assert.equal((await store().readCurve(PRM_A, '2026-01-04', 'PA', 'BRUT'))?.values[120], 7777);
    });

    it('refuses a file without idDestinataire, unless it is a bulk feed', async () => {
      await assertRefused(alphaAndBeta(null), [/\$\.header\.idDestinataire: required/]);
      const file = json('R63A', [r63Element(PRM_BETA, 'A', pointsA('2026-01-03', '10:00', 1))], null);
      await assertRefused(file, [/\$\.header\.idDestinataire: required/]);
      const result = await importText(file, { bulkFeed: true });
      assert.equal(result.curvePoints, 1);
    });

    it('refuses a recipient that is not a SIREN of the registry', async () => {
      for (const recipient of ['999999999', '', 'ENTREPRISE-1']) {
        await assertRefused(alphaAndBeta(recipient), [
          /\$\.header\.idDestinataire: ".*" is not a SIREN of the registry/,
        ]);
      }
    });

    it("accepts the PRMs of the recipient's entreprise, whatever its SIREN", async () => {
      const result = await importText(
        json('R63A', [
          r63Element(PRM_A, 'A', pointsA('2026-01-03', '10:00', 2)),
          r63Element(PRM_SISTER, 'A', pointsA('2026-01-03', '10:00', 2)),
        ]),
      );
      assert.equal(result.curvePoints, 4);
    });

    it('checks the attachment on each day of the points', async () => {
      const days = [...pointsA('2026-01-05', '23:55', 1), ...pointsA('2026-01-06', '00:00', 2)];
      await assertRefused(json('R63A', [r63Element(PRM_MOVED, 'A', days)]), [
        /\$\.mesures\[0\]\.idPrm: PRM 41000000000005 is not attached to the entreprise of SIREN 356000000 on 2026-01-05/,
      ]);
      const result = await importText(json('R63A', [r63Element(PRM_MOVED, 'A', days.slice(1))]));
      assert.equal(result.curvePoints, 2);
      // Beta's file for the day before the move is Beta's own.
      const beta = await importText(json('R63A', [r63Element(PRM_MOVED, 'A', days.slice(0, 1))], BETA));
      assert.equal(beta.curvePoints, 1);
    });

    it('checks index files the same way', async () => {
      const file = json('R64A', [
        r64Element(PRM_A, [{ d: '2026-01-05 00:00:00', v: 5000 }]),
        r64Element(PRM_BETA, [{ d: '2026-01-05 00:00:00', v: 5000 }]),
      ]);
      await assertRefused(file, [
        /\$\.mesures\[1\]\.idPrm: PRM 41000000000004 is not attached to the entreprise of SIREN 356000000 on 2026-01-05/,
      ]);
      assert.equal((await importText(file, { bulkFeed: true })).indexReadings, 2);
    });

    it('does not check CSV files, which name no recipient', async () => {
      const result = await importText(r63Csv([r63CsvLine(PRM_BETA, '2026-01-02 10:00:00', '42')]));
      assert.equal(result.curvePoints, 1);
    });

    it('refuses mesures that come before the header', async () => {
      const doc = {
        mesures: [r63Element(PRM_A, 'A', pointsA('2026-01-05', '10:00', 1))],
        header: header('R63A'),
      };
      await assertRefused(JSON.stringify(doc), [/\$\.mesures: header must come before mesures/]);
      await assertRefused(JSON.stringify(doc), [/header must come before mesures/], { bulkFeed: true });
    });
  });
});
