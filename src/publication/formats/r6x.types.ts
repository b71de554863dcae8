import type { Category, CurveStep } from '../../domain/identifiers.js';

/**
 * Input of the R63/R64 writers, named after the fields of the distributor's guide (Enedis-R6X §2.3, §3.3,
 * §4.3) so that the mapping to the files is one to one. docs/formats.md describes the files themselves.
 */

/** R63 = load curve (courbe de charge), R64 = index; A = more than 36 kVA, B = 36 kVA or less (Linky). */
export const CODES_FLUX = ['R63A', 'R63B', 'R64A', 'R64B'] as const;
export type CodeFlux = (typeof CODES_FLUX)[number];
export type R63CodeFlux = Extract<CodeFlux, 'R63A' | 'R63B'>;
export type R64CodeFlux = Extract<CodeFlux, 'R64A' | 'R64B'>;

/** Q = quotidienne (daily), H = hebdomadaire (weekly), M = mensuelle (monthly). */
export type ModePublication = 'Q' | 'H' | 'M';

export type R6xFormat = 'JSON' | 'CSV';

export function categoryOfCodeFlux(codeFlux: CodeFlux): Category {
  return codeFlux.endsWith('A') ? 'A' : 'B';
}

/** `typeDonnees` token of the file names (§2.1): `CdC` for R63, `Index` for R64. */
export function typeDonneesOf(codeFlux: CodeFlux): 'CdC' | 'Index' {
  return codeFlux.startsWith('R63') ? 'CdC' : 'Index';
}

/**
 * The `echeances` block (§3.3): `immediat` has neither `horodateDebutPublication` nor `frequence`,
 * `heureFixe` has `horodateDebutPublication`, `filEau` has both.
 */
export type R6xEcheances =
  | { type: 'immediat' }
  | { type: 'heureFixe'; horodateDebutPublication: string }
  | { type: 'filEau'; horodateDebutPublication: string; frequence: string };

/**
 * What one file says about itself. Timestamps are local Paris time `AAAA-MM-JJ hh:mm:ss`, formatted by
 * the caller. `dateDebut`/`dateFin` bound the collection window: the file carries what was stored
 * between them, whatever the measurement dates.
 */
export interface R6xHeader {
  codeFlux: CodeFlux;
  /** Stable per subscription; letters and digits only (it is a token of the file names). */
  idDemande: string;
  modePublication: ModePublication;
  /** Identifies the recipient, 1 to 20 characters (the SIREN in Publiwatt). */
  idDestinataire: string;
  /** Identifies this publication; fixed when the run is created so a redone run writes the same bytes. */
  idPublication: string;
  dateDebut: string;
  dateFin: string;
  echeances: R6xEcheances;
}

// ---------------------------------------------------------------------------------------------------
// R63: load curves

export type EtapeMetier = 'BRUT' | 'BEST';
export type GrandeurMetier = 'CONS' | 'PROD';
/** PA active power (W); PRI/PRC reactive inductive/capacitive power (VAr); E voltage (V). */
export type R63GrandeurPhysique = 'PA' | 'PRI' | 'PRC' | 'E';

/** The unit is implied by the physical quantity (§3.3 `unite`). */
export const R63_UNITE: Readonly<Record<R63GrandeurPhysique, 'W' | 'VAr' | 'V'>> = {
  PA: 'W',
  PRI: 'VAr',
  PRC: 'VAr',
  E: 'V',
};

/** Point natures (§3.3.1.1). */
export const NATURES = ['B', 'C', 'R', 'D', 'H', 'P', 'S', 'T', 'F', 'G', 'E'] as const;
export type Nature = (typeof NATURES)[number];

/** Completion types (§3.3.1.2), only in BEST curves. */
export const TYPES_COMPLETION = ['F', 'G', 'N', 'H', 'I', 'O', 'J', 'K', 'L', 'C', 'A', 'M'] as const;
export type TypeCompletion = (typeof TYPES_COMPLETION)[number];

/** Likelihood index of a Linky curve point (§3.3.1.3). */
export type R63IndiceVraisemblance = 0 | 1 | 2;
/** Complementary state of a Linky curve point (§3.3.1.4). */
export const ETATS_COMPLEMENTAIRES = [0, 1, 5, 6, 7, 8, 9, 10, 11] as const;
export type EtatComplementaire = (typeof ETATS_COMPLEMENTAIRES)[number];

/**
 * One curve point. `d` is already formatted (local `AAAA-MM-JJ hh:mm:ss`): category A stamps the START
 * of the interval, category B its END. `v` is the average power over the step; `null` = not measured,
 * and such a point is not written (the guide has no representation for a missing value).
 * The writers read each point once, synchronously, and keep no reference: a caller may reuse one object.
 */
export interface R63Point {
  d: string;
  v: number | null;
  p: CurveStep;
  n: Nature;
  /** Written only in BEST curves. */
  tc?: TypeCompletion;
  /** Written only for category B (Linky); `null` for category A. */
  iv?: R63IndiceVraisemblance | null;
  /** Written only for category B (Linky); `null` for category A. */
  ec?: EtatComplementaire | null;
}

/** What a point says besides its time and value. */
export type R63PointQuality = Pick<R63Point, 'n' | 'tc' | 'iv' | 'ec'>;

/**
 * The points of one curve day in columns, as the store keeps them, so that a writer formats them
 * without an object per point: position i is stamped `stamps[i]`, has the value `values[i]` and the
 * quality `quality(codes[i])`; a position whose quality is undefined has no point. `quality` must
 * answer the same for the same code (writers check and format each distinct code once per block), and
 * the lists must not change once handed over (a timestamp list is checked once per file).
 */
export interface R63DayColumns {
  /** One per position, in chronological order (the autumn repeated hour twice). */
  stamps: readonly string[];
  values: ArrayLike<number>;
  codes: ArrayLike<number>;
  p: CurveStep;
  quality(code: number): R63PointQuality | undefined;
}

/** Points in columns, one entry per day in day order (the form the store content source hands over). */
export interface R63PointColumns {
  days: readonly R63DayColumns[];
}

export interface R63Grandeur {
  grandeurMetier: GrandeurMetier;
  grandeurPhysique: R63GrandeurPhysique;
  /** In file order; for the autumn day the repeated hour appears twice, in chronological order. */
  points: Iterable<R63Point> | R63PointColumns;
}

/** One `mesures` entry: one PRM, one stage (BRUT or BEST), its curves over the published days. */
export interface R63PrmBlock {
  idPrm: string;
  etapeMetier: EtapeMetier;
  grandeur: readonly R63Grandeur[];
}

// ---------------------------------------------------------------------------------------------------
// R64: index

/** §4.3.1.1: COL/TOP Linky only; FMR/CRD/RHF above 36 kVA only; CRI both. */
export type ContexteReleve = 'COL' | 'TOP' | 'FMR' | 'CRD' | 'CRI' | 'RHF';
/** §4.3.1.2: AQ/AV/AS/AP Linky only; RM/RC above 36 kVA only; LC both. */
export type TypeReleve = 'AQ' | 'AV' | 'AS' | 'AP' | 'LC' | 'RM' | 'RC';
/** §4.3.1.3: EA/ERC/ERI both categories; DD/DE/DQ/ER/PMA/TF above 36 kVA only. */
export type R64GrandeurPhysique = 'DD' | 'DE' | 'DQ' | 'EA' | 'ER' | 'ERC' | 'ERI' | 'PMA' | 'TF';

/** The unit is implied by the physical quantity (§4.3.1.3). */
export const R64_UNITE: Readonly<Record<R64GrandeurPhysique, 's' | 'Wh' | 'VArh' | 'VA'>> = {
  DD: 's',
  DE: 'Wh',
  DQ: 'Wh',
  EA: 'Wh',
  ER: 'VArh',
  ERC: 'VArh',
  ERI: 'VArh',
  PMA: 'VA',
  TF: 's',
};

/** One reading: `d` local `AAAA-MM-JJ hh:mm:ss`, `v` an integer (rounded to the nearest if not). */
export interface R64Valeur {
  d: string;
  v: number;
  /** 0 to 15 (§4.3.1.4); written only for Linky active energy, `null` otherwise. */
  iv?: number | null;
}

export interface R64ClasseTemporelle {
  idClasseTemporelle: string;
  libelleClasseTemporelle: string;
  /** Linky dial (`IDX_EAS_D1`…), or `EA1`… above 36 kVA; optional. */
  codeCadran?: string;
  valeur: readonly R64Valeur[];
}

export interface R64Calendrier {
  /** Distributor calendar (`DI000001`…), supplier calendar (`FC000049`…) or `D`/`F` when none. */
  idCalendrier: string;
  libelleCalendrier: string;
  /** JSON `Distributeur`/`Fournisseur`, CSV `D`/`F`. */
  libelleGrille: 'Distributeur' | 'Fournisseur';
  classeTemporelle: readonly R64ClasseTemporelle[];
}

/** Totalizer dial of a Linky meter (`IDX_EAS_T`, `IDX_EAI_T`); none above 36 kVA. */
export interface R64CadranTotalisateur {
  codeCadran: string;
  valeur: readonly R64Valeur[];
}

export interface R64Grandeur {
  grandeurMetier: GrandeurMetier;
  grandeurPhysique: R64GrandeurPhysique;
  calendrier: readonly R64Calendrier[];
  cadranTotalisateur?: R64CadranTotalisateur;
}

export interface R64Contexte {
  /** Always BRUT for index (§4.3). */
  etapeMetier: 'BRUT';
  contexteReleve: ContexteReleve;
  typeReleve: TypeReleve;
  /** Free text, e.g. « Pose fournisseur »; absent for cyclic readings. */
  motifReleve?: string;
  grandeur: readonly R64Grandeur[];
}

/** One `mesures` entry: one PRM and its readings. */
export interface R64PrmBlock {
  idPrm: string;
  contexte: readonly R64Contexte[];
}

/** Blocks arrive one at a time so that a 10 000-PRM file never sits in memory. */
export type BlockSource<T> = AsyncIterable<T> | Iterable<T>;
