/**
 * Column labels of the R6X CSV files, in order, exactly as the distributor's guide writes them: the
 * writers print them and the import reads files by them.
 */

/** Column labels of an R63 CSV file, in the guide's order (§3.2). */
export const R63_CSV_COLUMNS = [
  'Identifiant PRM',
  'Date de début',
  'Date de fin',
  'Grandeur physique',
  'Grandeur métier',
  'Etape métier',
  'Unité',
  'Horodate',
  'Valeur',
  'Nature',
  'Pas',
  'Indice de vraisemblance',
  'Etat complémentaire',
] as const;

/**
 * Column labels of an R64 CSV file (§4.2). The guide's numbered list omits « Etape métier » but its
 * example file and the SGE guide (Enedis.SGE.GUI.0503 §4.3) carry it as 6th column: 19 columns.
 */
export const R64_CSV_COLUMNS = [
  'Identifiant PRM',
  'Date de début',
  'Date de fin',
  'Grandeur physique',
  'Grandeur métier',
  'Etape métier',
  'Unité',
  'Horodate',
  'Contexte de relève',
  'Type de relève',
  'Motif de relève',
  'Grille',
  'Identifiant calendrier',
  'Libellé Calendrier',
  'Identifiant classe temporelle',
  'Libellé classe temporelle',
  'Cadran',
  'Valeur',
  'Indice de vraisemblance',
] as const;
