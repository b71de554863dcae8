import { ChunkBuffer } from './chunk-buffer.js';
import { R63Rules } from './r63.rules.js';
import { checkR6xHeader } from './r6x-header.rules.js';
import { formatR6xInteger } from './r6x-integer.js';
import {
  categoryOfCodeFlux,
  R63_UNITE,
  type BlockSource,
  type R63DayColumns,
  type R63PointQuality,
  type R63PrmBlock,
  type R6xHeader,
} from './r6x.types.js';
import { R63_CSV_COLUMNS } from '../../domain/r6x-csv-columns.js';

/**
 * Writes an R63 (load curve) CSV file as UTF-8 chunks: the header line, then one line per point, `;`
 * separated, `\n` ended. Absent values are written `null` as in the guide's example (iv/ec of category
 * A); the CSV has no `tc` column. Points whose value is null are left out.
 */
export async function* writeR63Csv(
  header: R6xHeader,
  blocks: BlockSource<R63PrmBlock>,
): AsyncGenerator<Buffer> {
  checkR6xHeader(header, 'R63');
  const rules = new R63Rules(categoryOfCodeFlux(header.codeFlux));
  const linky = rules.category === 'B';
  const out = new ChunkBuffer();
  out.push(`${R63_CSV_COLUMNS.join(';')}\n`);
  /** What follows the value in a line (`n;p;iv;ec`), by quality code, for the current block and step (null: no point). */
  const tails = new Map<number, string | null>();
  let tailsOf: R63DayColumns['quality'] | undefined;
  let tailsStep: string | undefined;
  const tailOf = (quality: R63PointQuality, p: string): string =>
    `${quality.n};${p};` + (linky ? `${quality.iv ?? 'null'};${quality.ec ?? 'null'}\n` : 'null;null\n');
  for await (const block of blocks) {
    const natures = rules.checkBlock(block);
    tails.clear();
    for (const g of block.grandeur) {
      const prefix =
        `${block.idPrm};${header.dateDebut};${header.dateFin};${g.grandeurPhysique};${g.grandeurMetier};` +
        `${block.etapeMetier};${R63_UNITE[g.grandeurPhysique]};`;
      if (!('days' in g.points)) {
        for (const point of g.points) {
          if (point.v === null) continue;
          rules.checkPoint(point, natures, block.idPrm);
          out.push(`${prefix}${point.d};${formatR6xInteger(point.v, 'v')};${tailOf(point, point.p)}`);
          if (out.full) yield out.take();
        }
        continue;
      }
      // Same lines as above, with the checks and the quality part done once per code and per day.
      for (const day of g.points.days) {
        rules.checkDay(day, block.idPrm);
        if (day.quality !== tailsOf || day.p !== tailsStep) {
          tails.clear();
          tailsOf = day.quality;
          tailsStep = day.p;
        }
        const { stamps, values, codes } = day;
        for (let i = 0; i < stamps.length; i++) {
          const code = codes[i]!;
          let tail = tails.get(code);
          if (tail === undefined) {
            const quality = day.quality(code);
            if (quality) rules.checkQuality(quality, natures, block.idPrm, stamps[i]!);
            tail = quality ? tailOf(quality, day.p) : null;
            tails.set(code, tail);
          }
          if (tail === null) continue;
          const v = values[i]!;
          out.push(`${prefix}${stamps[i]};${(v | 0) === v ? v : formatR6xInteger(v, 'v')};${tail}`);
        }
        if (out.full) yield out.take();
      }
    }
  }
  yield out.take();
}
