import { ByteChunkBuffer } from './chunk-buffer.js';
import { R63Rules } from './r63.rules.js';
import { checkR6xHeader } from './r6x-header.rules.js';
import { formatR6xInteger } from './r6x-integer.js';
import { r6xJsonPrologue } from './r6x-json-prologue.js';
import {
  categoryOfCodeFlux,
  R63_UNITE,
  type BlockSource,
  type R63DayColumns,
  type R63PointQuality,
  type R63PrmBlock,
  type R6xHeader,
} from './r6x.types.js';

/**
 * `","d":"<stamp>` + `after` for each timestamp of a day's list, encoded once per list and quality:
 * days share their lists (every PRM of a daily file has the same 48 timestamps). Per file, a few
 * dozen lists at most are kept.
 */
class PointEnds {
  private readonly byStamps = new Map<readonly string[], Map<string, readonly Buffer[]>>();

  of(stamps: readonly string[], after: string): readonly Buffer[] {
    let byAfter = this.byStamps.get(stamps);
    if (!byAfter) {
      if (this.byStamps.size >= 64) this.byStamps.clear();
      this.byStamps.set(stamps, (byAfter = new Map()));
    }
    let ends = byAfter.get(after);
    if (!ends) byAfter.set(after, (ends = stamps.map((d) => Buffer.from(`","d":"${d}${after}`))));
    return ends;
  }
}

/** What opens a point: the first of a list, then the others. */
const FIRST_POINT = Buffer.from('{"v":"');
const NEXT_POINT = Buffer.from(',{"v":"');

/**
 * Writes an R63 (load curve) JSON file as UTF-8 chunks, one PRM block at a time (guide §3.1; validates
 * against Enedis.SGE.JSON.0532.Flux.R63Xv1.1.0). Compact JSON, no trailing newline. Per point: `v` is a
 * string rounded to the nearest integer, `tc` only in BEST curves, `iv`/`ec` valued for category B and
 * `null` for category A, as in the guide's example. Points whose value is null are left out.
 */
export async function* writeR63Json(
  header: R6xHeader,
  blocks: BlockSource<R63PrmBlock>,
): AsyncGenerator<Buffer> {
  checkR6xHeader(header, 'R63');
  const rules = new R63Rules(categoryOfCodeFlux(header.codeFlux));
  const linky = rules.category === 'B';
  const periode = `"periode":{"dateDebut":"${header.dateDebut}","dateFin":"${header.dateFin}"}`;
  const out = new ByteChunkBuffer();
  out.push(r6xJsonPrologue(header));
  let firstBlock = true;
  /** What follows `"n":"` in a point, by quality code, for the current block (null: no point). */
  const tails = new Map<number, string | null>();
  let tailsOf: R63DayColumns['quality'] | undefined;
  const pointEnds = new PointEnds();
  for await (const block of blocks) {
    const natures = rules.checkBlock(block);
    const best = block.etapeMetier === 'BEST';
    const tailOf = (quality: R63PointQuality): string =>
      `${quality.n}"` +
      (best && quality.tc != null ? `,"tc":"${quality.tc}"` : '') +
      (linky ? `,"iv":${quality.iv ?? null},"ec":${quality.ec ?? null}}` : ',"iv":null,"ec":null}');
    tails.clear();
    out.push(
      `${firstBlock ? '' : ','}{"idPrm":"${block.idPrm}","etapeMetier":"${block.etapeMetier}",${periode},` +
        `"modeCalcul":"MESURE","grandeur":[`,
    );
    firstBlock = false;
    let firstGrandeur = true;
    for (const g of block.grandeur) {
      out.push(
        `${firstGrandeur ? '' : ','}{"grandeurMetier":"${g.grandeurMetier}","grandeurPhysique":"${g.grandeurPhysique}",` +
          `"unite":"${R63_UNITE[g.grandeurPhysique]}","points":[`,
      );
      firstGrandeur = false;
      let sep = '';
      if (!('days' in g.points)) {
        for (const point of g.points) {
          if (point.v === null) continue;
          rules.checkPoint(point, natures, block.idPrm);
          out.push(
            `${sep}{"v":"${formatR6xInteger(point.v, 'v')}","d":"${point.d}","p":"${point.p}","n":"${tailOf(point)}`,
          );
          sep = ',';
          if (out.full) yield out.take();
        }
      } else {
        // Same text as above, with the checks and the quality part done once per code and per day.
        for (const day of g.points.days) {
          rules.checkDay(day, block.idPrm);
          if (day.quality !== tailsOf) {
            tails.clear();
            tailsOf = day.quality;
          }
          const { stamps, values, codes } = day;
          let code = -1;
          let ends: readonly Buffer[] | undefined;
          for (let i = 0; i < stamps.length; i++) {
            if (codes[i] !== code) {
              code = codes[i]!;
              let tail = tails.get(code);
              if (tail === undefined) {
                const quality = day.quality(code);
                if (quality) rules.checkQuality(quality, natures, block.idPrm, stamps[i]!);
                tail = quality ? tailOf(quality) : null;
                tails.set(code, tail);
              }
              ends = tail === null ? undefined : pointEnds.of(stamps, `","p":"${day.p}","n":"${tail}`);
            }
            if (ends === undefined) continue;
            const v = values[i]!;
            out.bytes(sep === '' ? FIRST_POINT : NEXT_POINT);
            if ((v | 0) === v) out.int32(v);
            else out.push(formatR6xInteger(v, 'v'));
            out.bytes(ends[i]!);
            sep = ',';
          }
          if (out.full) yield out.take();
        }
      }
      out.push(']}');
    }
    out.push(']}');
    if (out.full) yield out.take();
  }
  out.push(']}');
  yield out.take();
}
