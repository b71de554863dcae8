import { AppError } from '../../domain/app-error.js';
import { isPrm, STEPS_BY_CATEGORY, type Category } from '../../domain/identifiers.js';
import { checkR6xTimestamp } from './r6x-timestamp.js';
import {
  ETATS_COMPLEMENTAIRES,
  TYPES_COMPLETION,
  type EtapeMetier,
  type R63DayColumns,
  type R63Point,
  type R63PointQuality,
  type R63PrmBlock,
} from './r6x.types.js';

/** Natures a point may carry, by category and stage (guide §3.3.1.1). */
const NATURES_ALLOWED: Readonly<Record<Category, Readonly<Record<EtapeMetier, ReadonlySet<string>>>>> = {
  // Linky curves only carry B; outages and clock changes are told by iv/ec instead.
  B: { BRUT: new Set(['B']), BEST: new Set() },
  A: {
    BRUT: new Set(['R', 'H', 'P', 'S', 'T', 'F', 'G']),
    BEST: new Set(['C', 'R', 'D', 'H', 'P', 'S', 'T', 'F', 'G', 'E']),
  },
};

const COMPLETIONS: ReadonlySet<string> = new Set(TYPES_COMPLETION);
const ETATS: ReadonlySet<number> = new Set(ETATS_COMPLEMENTAIRES);

function invalid(detail: string, idPrm: string): AppError {
  return new AppError('R6X_CONTENT_INVALID', detail, { idPrm });
}

/**
 * The guide's rules for R63 content of one category, checked as the writers go: per block once, and
 * per point with set lookups only (the point path stays cheap).
 */
export class R63Rules {
  private readonly steps: ReadonlySet<string>;
  /** Timestamp lists already checked (a file's days share one list per day and step). */
  private readonly checkedStamps = new WeakSet<readonly string[]>();

  constructor(readonly category: Category) {
    this.steps = new Set(STEPS_BY_CATEGORY[category]);
  }

  /** Checks a block's own fields; returns the natures its points may carry. */
  checkBlock(block: R63PrmBlock): ReadonlySet<string> {
    if (!isPrm(block.idPrm)) throw invalid(`idPrm "${block.idPrm}" is not 14 digits`, block.idPrm);
    if (block.etapeMetier !== 'BRUT' && block.etapeMetier !== 'BEST') {
      throw invalid(`etapeMetier "${String(block.etapeMetier)}" is not BRUT or BEST`, block.idPrm);
    }
    if (this.category === 'B' && block.etapeMetier === 'BEST') {
      throw invalid(`PRM ${block.idPrm}: no BEST curve exists for 36 kVA or less (R63B)`, block.idPrm);
    }
    for (const g of block.grandeur) {
      if (g.grandeurMetier !== 'CONS' && g.grandeurMetier !== 'PROD') {
        throw invalid(`grandeurMetier "${String(g.grandeurMetier)}" is not CONS or PROD`, block.idPrm);
      }
      const physique = g.grandeurPhysique;
      const allowed = this.category === 'A' ? ['PA', 'PRI', 'PRC', 'E'] : ['PA'];
      if (!allowed.includes(physique)) {
        throw invalid(
          `grandeurPhysique "${physique}" is not published for category ${this.category}`,
          block.idPrm,
        );
      }
      if (block.etapeMetier === 'BEST' && physique !== 'PA') {
        throw invalid(`PRM ${block.idPrm}: a BEST curve is active power (PA) only`, block.idPrm);
      }
    }
    return NATURES_ALLOWED[this.category][block.etapeMetier];
  }

  checkPoint(point: R63Point, natures: ReadonlySet<string>, idPrm: string): void {
    checkR6xTimestamp(point.d, `PRM ${idPrm} point d`);
    this.checkStep(point.p, idPrm, point.d);
    this.checkQuality(point, natures, idPrm, point.d);
  }

  /**
   * Checks what all points of a day in columns share: the columns' lengths, the step and the
   * timestamps (once per timestamp list: days share theirs). Each distinct quality code is then
   * checked once with `checkQuality`.
   */
  checkDay(day: R63DayColumns, idPrm: string): void {
    if (day.values.length !== day.stamps.length || day.codes.length !== day.stamps.length) {
      throw invalid(
        `PRM ${idPrm}: ${day.stamps.length} timestamps for ${day.values.length} values and ${day.codes.length} qualities`,
        idPrm,
      );
    }
    if (!this.checkedStamps.has(day.stamps)) {
      for (const d of day.stamps) checkR6xTimestamp(d, `PRM ${idPrm} point d`);
      this.checkedStamps.add(day.stamps);
    }
    if (day.stamps.length > 0) this.checkStep(day.p, idPrm, day.stamps[0]!);
  }

  private checkStep(p: string, idPrm: string, d: string): void {
    if (!this.steps.has(p)) {
      throw invalid(`PRM ${idPrm} ${d}: step ${p} is not allowed for category ${this.category}`, idPrm);
    }
  }

  checkQuality(quality: R63PointQuality, natures: ReadonlySet<string>, idPrm: string, d: string): void {
    if (!natures.has(quality.n)) {
      throw invalid(`PRM ${idPrm} ${d}: nature ${quality.n} is not allowed here`, idPrm);
    }
    if (quality.tc != null && !COMPLETIONS.has(quality.tc)) {
      throw invalid(`PRM ${idPrm} ${d}: completion type ${quality.tc} is unknown`, idPrm);
    }
    if (quality.iv != null && quality.iv !== 0 && quality.iv !== 1 && quality.iv !== 2) {
      throw invalid(`PRM ${idPrm} ${d}: likelihood index ${String(quality.iv)} is not 0, 1 or 2`, idPrm);
    }
    if (quality.ec != null && !ETATS.has(quality.ec)) {
      throw invalid(`PRM ${idPrm} ${d}: complementary state ${quality.ec} is unknown`, idPrm);
    }
  }
}
