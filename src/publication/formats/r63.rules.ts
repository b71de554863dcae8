import { AppError } from '../../domain/app-error.js';
import { isPrm, STEPS_BY_CATEGORY, type Category } from '../../domain/identifiers.js';
import { checkR6xTimestamp } from './r6x-timestamp.js';
import {
  ETATS_COMPLEMENTAIRES,
  TYPES_COMPLETION,
  type EtapeMetier,
  type R63Point,
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
    if (!this.steps.has(point.p)) {
      throw invalid(
        `PRM ${idPrm} ${point.d}: step ${point.p} is not allowed for category ${this.category}`,
        idPrm,
      );
    }
    if (!natures.has(point.n)) {
      throw invalid(`PRM ${idPrm} ${point.d}: nature ${point.n} is not allowed here`, idPrm);
    }
    if (point.tc != null && !COMPLETIONS.has(point.tc)) {
      throw invalid(`PRM ${idPrm} ${point.d}: completion type ${point.tc} is unknown`, idPrm);
    }
    if (point.iv != null && point.iv !== 0 && point.iv !== 1 && point.iv !== 2) {
      throw invalid(`PRM ${idPrm} ${point.d}: likelihood index ${String(point.iv)} is not 0, 1 or 2`, idPrm);
    }
    if (point.ec != null && !ETATS.has(point.ec)) {
      throw invalid(`PRM ${idPrm} ${point.d}: complementary state ${point.ec} is unknown`, idPrm);
    }
  }
}
