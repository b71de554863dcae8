import type { AppError, ErrorCode } from '../domain/app-error.js';

/** French messages shown to customers, by error code. Built at the edge only. */
const MESSAGES: Partial<Record<ErrorCode, (p: Readonly<Record<string, string | number>>) => string>> = {
  INVALID_INPUT: () => 'La requête contient une valeur invalide.',
  INVALID_SIREN: (p) => `Le SIREN « ${p.value} » est invalide.`,
  INVALID_PRM: (p) => `Le PRM « ${p.value} » est invalide : il doit compter 14 chiffres.`,
  INVALID_SEGMENT: (p) => `Le segment « ${p.value} » n'est pas accepté.`,
  INVALID_STEP: (p) => `Le pas de courbe « ${p.value} » n'est pas autorisé pour cette catégorie.`,
  INVALID_DATE: (p) => `La date « ${p.value} » est invalide (format attendu AAAA-MM-JJ).`,
  REGISTRY_IMPORT_REJECTED: (p) =>
    `Le fichier ${p.source} a été refusé : ${p.count} ligne(s) en erreur, rien n'a été importé.`,
  NOT_FOUND: () => 'Ressource introuvable.',
  INTERNAL: () => 'Une erreur interne est survenue. Veuillez réessayer plus tard.',
  DECRYPTION_FAILED: () =>
    'Le fichier ne peut pas être déchiffré avec cette clé (clé erronée ou fichier endommagé).',
  IMPORT_REJECTED: (p) =>
    `Le fichier ${p.file} a été refusé : ${p.count} erreur(s), aucune mesure n'a été importée.`,
};

export function frenchMessage(error: AppError): string {
  return MESSAGES[error.code]?.(error.params) ?? error.detail;
}
