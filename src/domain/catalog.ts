import type { Category } from './identifiers.js';

/** What a subscription publishes: daily index readings, the raw or the corrected load curve. */
export const DATA_TYPES = ['INDEX', 'CDC_BRUTE', 'CDC_CORRIGEE'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Quotidienne, Hebdomadaire, Mensuelle (the R6X `modePublication`). */
export const FREQUENCIES = ['Q', 'H', 'M'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export const FILE_FORMATS = ['CSV', 'JSON'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export type CodeFlux = 'R63A' | 'R63B' | 'R64A' | 'R64B';
export type EtapeMetier = 'BRUT' | 'BEST';

/** Data types offered per category: no corrected curve exists for 36 kVA or less. */
export const CATALOG: Readonly<Record<Category, readonly DataType[]>> = {
  A: ['INDEX', 'CDC_BRUTE', 'CDC_CORRIGEE'],
  B: ['INDEX', 'CDC_BRUTE'],
};

export const DATA_TYPE_LABELS: Readonly<Record<DataType, string>> = {
  INDEX: 'Index',
  CDC_BRUTE: 'Courbe de charge brute',
  CDC_CORRIGEE: 'Courbe de charge corrigée',
};

export const FREQUENCY_LABELS: Readonly<Record<Frequency, string>> = {
  Q: 'Quotidienne',
  H: 'Hebdomadaire',
  M: 'Mensuelle',
};

export interface CatalogEntry {
  dataType: DataType;
  frequency: Frequency;
}

/** Every (data type, frequency) a SIREN may subscribe to in a category, in the portal's grid order. */
export function catalogEntries(category: Category): CatalogEntry[] {
  return CATALOG[category].flatMap((dataType) => FREQUENCIES.map((frequency) => ({ dataType, frequency })));
}

export function isInCatalog(category: Category, dataType: string, frequency: string): boolean {
  return (
    (CATALOG[category] as readonly string[]).includes(dataType) &&
    (FREQUENCIES as readonly string[]).includes(frequency)
  );
}

/** R63 carries load curves, R64 index readings; the suffix is the category. */
export function codeFluxOf(category: Category, dataType: DataType): CodeFlux {
  return `${dataType === 'INDEX' ? 'R64' : 'R63'}${category}`;
}

/** `BEST` for the corrected curve, `BRUT` otherwise (the R64 index is always `BRUT`). */
export function etapeMetierOf(dataType: DataType): EtapeMetier {
  return dataType === 'CDC_CORRIGEE' ? 'BEST' : 'BRUT';
}

/** The R6X `typeDonnees` of archive names: `CdC` or `Index`. */
export function typeDonneesOf(dataType: DataType): 'CdC' | 'Index' {
  return dataType === 'INDEX' ? 'Index' : 'CdC';
}
