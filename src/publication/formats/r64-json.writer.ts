import { ChunkBuffer } from './chunk-buffer.js';
import { R64Rules } from './r64.rules.js';
import { checkR6xHeader } from './r6x-header.rules.js';
import { formatR6xInteger } from './r6x-integer.js';
import { r6xJsonPrologue } from './r6x-json-prologue.js';
import {
  categoryOfCodeFlux,
  R64_UNITE,
  type BlockSource,
  type R64PrmBlock,
  type R64Valeur,
  type R6xHeader,
} from './r6x.types.js';

function valeurs(list: readonly R64Valeur[], withIv: boolean): string {
  let text = '"valeur":[';
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    text += `${i === 0 ? '' : ','}{"d":"${x.d}","v":${formatR6xInteger(x.v, 'v')},"iv":${withIv ? (x.iv ?? null) : null}}`;
  }
  return `${text}]`;
}

/**
 * Writes an R64 (index) JSON file as UTF-8 chunks, one PRM block at a time (guide §4.1; validates against
 * Enedis.SGE.JSON.0533.Flux.R64Xv1.1.0). Compact JSON, no trailing newline. `v` is an integer; `iv` is
 * always present, valued only for Linky active energy (`null` otherwise); `motifReleve` and `codeCadran`
 * only when known; `cadranTotalisateur` only for Linky meters.
 */
export async function* writeR64Json(
  header: R6xHeader,
  blocks: BlockSource<R64PrmBlock>,
): AsyncGenerator<Buffer> {
  checkR6xHeader(header, 'R64');
  const rules = new R64Rules(categoryOfCodeFlux(header.codeFlux));
  const periode = `"periode":{"dateDebut":"${header.dateDebut}","dateFin":"${header.dateFin}"}`;
  const out = new ChunkBuffer();
  out.push(r6xJsonPrologue(header));
  let firstBlock = true;
  for await (const block of blocks) {
    rules.checkBlock(block);
    let text = `${firstBlock ? '' : ','}{"idPrm":"${block.idPrm}",${periode},"contexte":[`;
    firstBlock = false;
    block.contexte.forEach((c, ci) => {
      text +=
        `${ci === 0 ? '' : ','}{"etapeMetier":"${c.etapeMetier}","contexteReleve":"${c.contexteReleve}",` +
        `"typeReleve":"${c.typeReleve}"` +
        (c.motifReleve != null ? `,"motifReleve":${JSON.stringify(c.motifReleve)}` : '') +
        ',"grandeur":[';
      c.grandeur.forEach((g, gi) => {
        const withIv = rules.category === 'B' && g.grandeurPhysique === 'EA';
        text +=
          `${gi === 0 ? '' : ','}{"grandeurMetier":"${g.grandeurMetier}","grandeurPhysique":"${g.grandeurPhysique}",` +
          `"unite":"${R64_UNITE[g.grandeurPhysique]}","calendrier":[`;
        g.calendrier.forEach((cal, li) => {
          text +=
            `${li === 0 ? '' : ','}{"idCalendrier":${JSON.stringify(cal.idCalendrier)},` +
            `"libelleCalendrier":${JSON.stringify(cal.libelleCalendrier)},"libelleGrille":"${cal.libelleGrille}",` +
            '"classeTemporelle":[';
          cal.classeTemporelle.forEach((ct, ti) => {
            text +=
              `${ti === 0 ? '' : ','}{"idClasseTemporelle":${JSON.stringify(ct.idClasseTemporelle)},` +
              `"libelleClasseTemporelle":${JSON.stringify(ct.libelleClasseTemporelle)},` +
              (ct.codeCadran != null ? `"codeCadran":${JSON.stringify(ct.codeCadran)},` : '') +
              `${valeurs(ct.valeur, withIv)}}`;
          });
          text += ']}';
        });
        text += ']';
        const total = g.cadranTotalisateur;
        if (total) {
          text += `,"cadranTotalisateur":{"codeCadran":${JSON.stringify(total.codeCadran)},${valeurs(total.valeur, withIv)}}`;
        }
        text += '}';
      });
      text += ']}';
    });
    out.push(`${text}]}`);
    if (out.full) yield out.take();
  }
  out.push(']}');
  yield out.take();
}
