import { ChunkBuffer } from './chunk-buffer.js';
import { R64Rules } from './r64.rules.js';
import { checkR6xHeader } from './r6x-header.rules.js';
import { formatR6xInteger } from './r6x-integer.js';
import {
  categoryOfCodeFlux,
  R64_UNITE,
  type BlockSource,
  type R64PrmBlock,
  type R64Valeur,
  type R6xHeader,
} from './r6x.types.js';
import { R64_CSV_COLUMNS } from '../../domain/r6x-csv-columns.js';

/** Free text (labels, motif) is quoted only when it holds a separator, a quote or a line break. */
function field(value: string | undefined): string {
  if (value == null) return 'null';
  return /[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function lines(prefix: string, middle: string, list: readonly R64Valeur[], withIv: boolean): string {
  let text = '';
  for (const x of list) {
    text += `${prefix}${x.d};${middle}${formatR6xInteger(x.v, 'v')};${withIv ? (x.iv ?? 'null') : 'null'}\n`;
  }
  return text;
}

/**
 * Writes an R64 (index) CSV file as UTF-8 chunks: the header line, then one line per reading, `;`
 * separated, `\n` ended, absent values written `null`. Grille is `D`/`F`, and `T` for the Linky
 * totalizer (as in the guide's example), whose lines come first within a quantity.
 */
export async function* writeR64Csv(
  header: R6xHeader,
  blocks: BlockSource<R64PrmBlock>,
): AsyncGenerator<Buffer> {
  checkR6xHeader(header, 'R64');
  const rules = new R64Rules(categoryOfCodeFlux(header.codeFlux));
  const out = new ChunkBuffer();
  out.push(`${R64_CSV_COLUMNS.join(';')}\n`);
  for await (const block of blocks) {
    rules.checkBlock(block);
    let text = '';
    for (const c of block.contexte) {
      for (const g of c.grandeur) {
        const withIv = rules.category === 'B' && g.grandeurPhysique === 'EA';
        const prefix =
          `${block.idPrm};${header.dateDebut};${header.dateFin};${g.grandeurPhysique};${g.grandeurMetier};` +
          `${c.etapeMetier};${R64_UNITE[g.grandeurPhysique]};`;
        const releve = `${c.contexteReleve};${c.typeReleve};${field(c.motifReleve)};`;
        const total = g.cadranTotalisateur;
        if (total) {
          text += lines(
            prefix,
            `${releve}T;null;null;null;null;${field(total.codeCadran)};`,
            total.valeur,
            withIv,
          );
        }
        for (const cal of g.calendrier) {
          const grille = cal.libelleGrille === 'Distributeur' ? 'D' : 'F';
          for (const ct of cal.classeTemporelle) {
            const middle =
              `${releve}${grille};${field(cal.idCalendrier)};${field(cal.libelleCalendrier)};` +
              `${field(ct.idClasseTemporelle)};${field(ct.libelleClasseTemporelle)};${field(ct.codeCadran)};`;
            text += lines(prefix, middle, ct.valeur, withIv);
          }
        }
      }
    }
    out.push(text);
    if (out.full) yield out.take();
  }
  yield out.take();
}
