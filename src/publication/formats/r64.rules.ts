import { AppError } from '../../domain/app-error.js';
import { isPrm, type Category } from '../../domain/identifiers.js';
import { checkR6xTimestamp } from './r6x-timestamp.js';
import type { R64PrmBlock, R64Valeur } from './r6x.types.js';

/** Codes allowed per category (guide §4.3.1.1 to §4.3.1.3). */
const ALLOWED: Readonly<
  Record<Category, { contexte: readonly string[]; type: readonly string[]; physique: readonly string[] }>
> = {
  B: {
    contexte: ['COL', 'TOP', 'CRI'],
    type: ['AQ', 'AV', 'AS', 'AP', 'LC'],
    physique: ['EA', 'ERC', 'ERI'],
  },
  A: {
    contexte: ['FMR', 'CRD', 'CRI', 'RHF'],
    type: ['LC', 'RM', 'RC'],
    physique: ['DD', 'DE', 'DQ', 'EA', 'ER', 'ERC', 'ERI', 'PMA', 'TF'],
  },
};

function invalid(detail: string, idPrm: string): AppError {
  return new AppError('R6X_CONTENT_INVALID', detail, { idPrm });
}

/** The guide's rules for R64 content of one category. Index blocks are small: everything is checked up front. */
export class R64Rules {
  constructor(readonly category: Category) {}

  checkBlock(block: R64PrmBlock): void {
    const id = block.idPrm;
    if (!isPrm(id)) throw invalid(`idPrm "${id}" is not 14 digits`, id);
    const allowed = ALLOWED[this.category];
    for (const c of block.contexte) {
      if (c.etapeMetier !== 'BRUT') throw invalid(`PRM ${id}: index etapeMetier is always BRUT`, id);
      if (!allowed.contexte.includes(c.contexteReleve)) {
        throw invalid(
          `PRM ${id}: contexteReleve ${c.contexteReleve} is not used for category ${this.category}`,
          id,
        );
      }
      if (!allowed.type.includes(c.typeReleve)) {
        throw invalid(`PRM ${id}: typeReleve ${c.typeReleve} is not used for category ${this.category}`, id);
      }
      for (const g of c.grandeur) {
        if (g.grandeurMetier !== 'CONS' && g.grandeurMetier !== 'PROD') {
          throw invalid(`PRM ${id}: grandeurMetier "${String(g.grandeurMetier)}" is not CONS or PROD`, id);
        }
        if (!allowed.physique.includes(g.grandeurPhysique)) {
          throw invalid(
            `PRM ${id}: grandeurPhysique ${g.grandeurPhysique} is not used for category ${this.category}`,
            id,
          );
        }
        if (g.cadranTotalisateur && this.category === 'A') {
          throw invalid(`PRM ${id}: meters above 36 kVA have no totalizer`, id);
        }
        const linkyActive = this.category === 'B' && g.grandeurPhysique === 'EA';
        for (const cal of g.calendrier) {
          if (cal.libelleGrille !== 'Distributeur' && cal.libelleGrille !== 'Fournisseur') {
            throw invalid(
              `PRM ${id}: libelleGrille "${String(cal.libelleGrille)}" is not Distributeur or Fournisseur`,
              id,
            );
          }
          for (const ct of cal.classeTemporelle) this.checkValeurs(ct.valeur, linkyActive, id);
        }
        if (g.cadranTotalisateur) this.checkValeurs(g.cadranTotalisateur.valeur, linkyActive, id);
      }
    }
  }

  private checkValeurs(valeurs: readonly R64Valeur[], withIv: boolean, id: string): void {
    for (const valeur of valeurs) {
      checkR6xTimestamp(valeur.d, `PRM ${id} index d`);
      if (
        withIv &&
        valeur.iv != null &&
        !(Number.isInteger(valeur.iv) && valeur.iv >= 0 && valeur.iv <= 15)
      ) {
        throw invalid(
          `PRM ${id} ${valeur.d}: likelihood index ${valeur.iv} is not an integer from 0 to 15`,
          id,
        );
      }
    }
  }
}
