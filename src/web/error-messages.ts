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
  R6X_CONTENT_INVALID: () =>
    "Le fichier de publication n'a pas pu être constitué : les données à publier sont incohérentes.",
  PUBLICATION_NAME_INVALID: () => "Le nom du fichier de publication n'a pas pu être constitué.",
};

export function frenchMessage(error: AppError): string {
  return MESSAGES[error.code]?.(error.params) ?? error.detail;
}
