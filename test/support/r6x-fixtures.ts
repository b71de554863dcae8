import { DateTime } from 'luxon';
import { stepMinutes, type CurveStep } from '../../src/domain/identifiers.js';
import type {
  CodeFlux,
  EtapeMetier,
  R63Point,
  R63PrmBlock,
  R64PrmBlock,
  R6xHeader,
} from '../../src/publication/formats/r6x.types.js';

const PARIS_ZONE = 'Europe/Paris';

/** A header of a daily publication for `codeFlux`, window 2023-09-19 → 2023-09-20. */
export function r6xHeader(codeFlux: CodeFlux, overrides: Partial<R6xHeader> = {}): R6xHeader {
  return {
    codeFlux,
    idDemande: 'M0000KY0',
    modePublication: 'Q',
    idDestinataire: '356000000',
    idPublication: '44760',
    dateDebut: '2023-09-19 00:00:00',
    dateFin: '2023-09-20 00:00:00',
    echeances: { type: 'immediat' },
    ...overrides,
  };
}

/**
 * The points of one Paris day at `step`, stamped as the distributor does: category A at the start of each
 * interval, category B at its end. DST days get 46/50 points at PT30M; values are deterministic.
 */
export function curveDay(
  day: string,
  step: CurveStep,
  category: 'A' | 'B',
  etape: EtapeMetier = 'BRUT',
): R63Point[] {
  const start = DateTime.fromISO(day, { zone: PARIS_ZONE });
  const end = start.plus({ days: 1 });
  const points: R63Point[] = [];
  const minutes = stepMinutes(step);
  for (let t = start, i = 0; t < end; t = t.plus({ minutes }), i++) {
    const stamp = category === 'A' ? t : t.plus({ minutes });
    const point: R63Point = {
      d: stamp.setZone(PARIS_ZONE).toFormat('yyyy-MM-dd HH:mm:ss'),
      v: 1000 + i + 0.4,
      p: step,
      n: category === 'A' ? 'R' : 'B',
    };
    if (category === 'B') {
      point.iv = 0;
      point.ec = 0;
    }
    if (etape === 'BEST' && i % 7 === 3) {
      point.n = 'E';
      point.tc = 'C';
    }
    points.push(point);
  }
  return points;
}

export function r63Block(
  idPrm: string,
  category: 'A' | 'B',
  options: { etape?: EtapeMetier; day?: string; step?: CurveStep; reactive?: boolean } = {},
): R63PrmBlock {
  const etape = options.etape ?? 'BRUT';
  const step = options.step ?? (category === 'A' ? 'PT5M' : 'PT30M');
  const day = options.day ?? '2023-09-18';
  const grandeur: R63PrmBlock['grandeur'][number][] = [
    { grandeurMetier: 'CONS', grandeurPhysique: 'PA', points: curveDay(day, step, category, etape) },
  ];
  if (options.reactive) {
    grandeur.push({ grandeurMetier: 'CONS', grandeurPhysique: 'PRI', points: curveDay(day, step, category) });
  }
  return { idPrm, etapeMetier: etape, grandeur };
}

/** Index readings of one PRM at midnight of `day`: Linky (B) with totalizer and both grids, or > 36 kVA (A). */
export function r64Block(idPrm: string, category: 'A' | 'B', day = '2023-09-19'): R64PrmBlock {
  const d = `${day} 00:00:00`;
  if (category === 'B') {
    return {
      idPrm,
      contexte: [
        {
          etapeMetier: 'BRUT',
          contexteReleve: 'COL',
          typeReleve: 'AQ',
          grandeur: [
            {
              grandeurMetier: 'CONS',
              grandeurPhysique: 'EA',
              cadranTotalisateur: { codeCadran: 'IDX_EAS_T', valeur: [{ d, v: 19810, iv: 0 }] },
              calendrier: [
                {
                  idCalendrier: 'DI000002',
                  libelleCalendrier: 'Heures pleines / Heures creuses',
                  libelleGrille: 'Distributeur',
                  classeTemporelle: [
                    {
                      idClasseTemporelle: 'HC',
                      libelleClasseTemporelle: 'Heures Creuses',
                      codeCadran: 'IDX_EAS_D1',
                      valeur: [{ d, v: 9921, iv: 0 }],
                    },
                    {
                      idClasseTemporelle: 'HP',
                      libelleClasseTemporelle: 'Heures Pleines',
                      codeCadran: 'IDX_EAS_D2',
                      valeur: [{ d, v: 9889.6, iv: 8 }],
                    },
                  ],
                },
                {
                  idCalendrier: 'FC000018',
                  libelleCalendrier: 'Base',
                  libelleGrille: 'Fournisseur',
                  classeTemporelle: [
                    {
                      idClasseTemporelle: 'BASE',
                      libelleClasseTemporelle: 'Base',
                      codeCadran: 'IDX_EAS_F1',
                      valeur: [{ d, v: 74421, iv: 0 }],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
  }
  const classes = [
    ['P', 'Pointe'],
    ['HPH', 'Heures Pleines Hiver'],
    ['HCH', 'Heures Creuses Hiver'],
    ['HPE', 'Heures Pleines Eté'],
    ['HCE', 'Heures Creuses Eté'],
  ] as const;
  return {
    idPrm,
    contexte: [
      {
        etapeMetier: 'BRUT',
        contexteReleve: 'FMR',
        typeReleve: 'RC',
        grandeur: [
          {
            grandeurMetier: 'CONS',
            grandeurPhysique: 'EA',
            calendrier: [
              {
                idCalendrier: 'DI000003',
                libelleCalendrier: 'Pointe, heures pleines et creuses hiver et été',
                libelleGrille: 'Distributeur',
                classeTemporelle: classes.map(([id, label], i) => ({
                  idClasseTemporelle: id,
                  libelleClasseTemporelle: label,
                  valeur: [{ d, v: 314603000 + i * 1000 }],
                })),
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Joins a writer's chunks into one string. */
export async function collectText(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}
