import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../domain/app-error.js';
import { collectText, curveDay, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import type { CurveStep } from '../../domain/identifiers.js';
import { writeR63Csv } from './r63-csv.writer.js';
import { writeR63Json } from './r63-json.writer.js';
import type { EtapeMetier, R63DayColumns, R63Point, R63PointQuality, R63PrmBlock } from './r6x.types.js';

/**
 * The points of a day as columns: one code per distinct quality, code 0 for the positions listed in
 * `absent` (no point there), values as they are (fractions included).
 */
function columnsOf(points: readonly R63Point[], absent: ReadonlySet<number> = new Set()): R63DayColumns {
  const qualities: R63PointQuality[] = [];
  const codes = points.map((point, i) => {
    if (absent.has(i)) return 0;
    const quality = { n: point.n, tc: point.tc, iv: point.iv, ec: point.ec };
    let code = qualities.findIndex((q) => JSON.stringify(q) === JSON.stringify(quality));
    if (code < 0) code = qualities.push(quality) - 1;
    return code + 1;
  });
  return {
    stamps: points.map((point) => point.d),
    values: points.map((point) => point.v ?? 0),
    codes,
    p: points[0]!.p,
    quality: (code) => (code === 0 ? undefined : qualities[code - 1]),
  };
}

/** The same block twice: as point objects and as day columns. */
function twoForms(
  category: 'A' | 'B',
  etape: EtapeMetier,
  days: readonly string[],
  step: CurveStep,
): [R63PrmBlock, R63PrmBlock] {
  const absent = new Set([0, 7, 8]);
  const perDay = days.map((day) => curveDay(day, step, category, etape));
  const asPoints: R63PrmBlock = {
    idPrm: '30002340305522',
    etapeMetier: etape,
    grandeur: [
      {
        grandeurMetier: 'CONS',
        grandeurPhysique: 'PA',
        points: perDay.flatMap((points) => points.filter((_, i) => !absent.has(i))),
      },
    ],
  };
  const asColumns: R63PrmBlock = {
    ...asPoints,
    grandeur: [
      {
        grandeurMetier: 'CONS',
        grandeurPhysique: 'PA',
        points: { days: perDay.map((points) => columnsOf(points, absent)) },
      },
    ],
  };
  return [asPoints, asColumns];
}

const DAYS = ['2023-03-25', '2023-03-26', '2023-10-29'];

describe('R63 writers, points given as day columns', () => {
  for (const write of [writeR63Json, writeR63Csv]) {
    for (const [category, etape, step] of [
      ['B', 'BRUT', 'PT30M'],
      ['A', 'BRUT', 'PT5M'],
      ['A', 'BEST', 'PT5M'],
      ['B', 'BRUT', 'PT10M'],
    ] as const) {
      it(`${write.name} writes the same text as from point objects (R63${category} ${etape} ${step}, DST days)`, async () => {
        const [points, columns] = twoForms(category, etape, DAYS, step);
        const header = r6xHeader(`R63${category}`);
        const expected = await collectText(write(header, [points, points]));
        assert.equal(await collectText(write(header, [columns, columns])), expected);
      });
    }
  }

  it('checks each quality like a point: a nature the stage does not allow is refused', async () => {
    const [, columns] = twoForms('A', 'BRUT', ['2023-09-18'], 'PT5M');
    const day = (columns.grandeur[0]!.points as { days: R63DayColumns[] }).days[0]!;
    const quality = day.quality;
    day.quality = (code) => (code === 0 ? undefined : { ...quality(code)!, n: 'E' });
    for (const write of [writeR63Json, writeR63Csv]) {
      await assert.rejects(
        collectText(write(r6xHeader('R63A'), [columns])),
        (error: unknown) => error instanceof AppError && /nature E is not allowed/.test(error.message),
      );
    }
  });

  it('refuses columns of different lengths and timestamps that are not local', async () => {
    const [, columns] = twoForms('B', 'BRUT', ['2023-09-18'], 'PT30M');
    const day = (columns.grandeur[0]!.points as { days: R63DayColumns[] }).days[0]!;
    const short = { ...day, values: Array.from(day.values).slice(1) };
    const utc = { ...day, stamps: day.stamps.map((d, i) => (i === 5 ? '2023-09-18T02:30:00Z' : d)) };
    for (const [bad, message] of [
      [short, /48 timestamps for 47 values/],
      [utc, /not a local timestamp/],
    ] as const) {
      const block = { ...columns, grandeur: [{ ...columns.grandeur[0]!, points: { days: [bad] } }] };
      for (const write of [writeR63Json, writeR63Csv]) {
        await assert.rejects(
          collectText(write(r6xHeader('R63B'), [block])),
          (error: unknown) => error instanceof AppError && message.test(error.message),
        );
      }
    }
  });
});
