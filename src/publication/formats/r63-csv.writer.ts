import { ChunkBuffer } from './chunk-buffer.js';
import { R63Rules } from './r63.rules.js';
import { checkR6xHeader } from './r6x-header.rules.js';
import { formatR6xInteger } from './r6x-integer.js';
import {
  categoryOfCodeFlux,
  R63_UNITE,
  type BlockSource,
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
  for await (const block of blocks) {
    const natures = rules.checkBlock(block);
    for (const g of block.grandeur) {
      const prefix =
        `${block.idPrm};${header.dateDebut};${header.dateFin};${g.grandeurPhysique};${g.grandeurMetier};` +
        `${block.etapeMetier};${R63_UNITE[g.grandeurPhysique]};`;
      for (const point of g.points) {
        if (point.v === null) continue;
        rules.checkPoint(point, natures, block.idPrm);
        out.push(
          `${prefix}${point.d};${formatR6xInteger(point.v, 'v')};${point.n};${point.p};` +
            (linky ? `${point.iv ?? 'null'};${point.ec ?? 'null'}\n` : 'null;null\n'),
        );
        if (out.full) yield out.take();
      }
    }
  }
  yield out.take();
}
