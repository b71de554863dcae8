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
  INVALID_ENCRYPTION_KEY: () => 'La clé de chiffrement doit compter 64 caractères hexadécimaux.',
  DECRYPTION_FAILED: () =>
    'Le fichier ne peut pas être déchiffré avec cette clé (mauvaise clé ou fichier non chiffré).',
  MASTER_KEY_MISMATCH: () => 'Une donnée protégée est illisible. Contactez le support.',
  HABILITATION_REQUIRED: () => "Cette action nécessite l'habilitation « Gestion des Services de données ».",
  PASSWORD_CONFIRMATION_FAILED: () => 'Mot de passe incorrect : la clé ne peut pas être affichée.',
  CHANNEL_INVALID: (p) => `Le canal est invalide : ${p.reason}.`,
  CHANNEL_NOT_ACTIVABLE: (p) =>
    p.kind === 'email'
      ? "Cette adresse e-mail n'a pas encore été confirmée par le lien qui lui a été envoyé."
      : "Ce serveur ne peut être activé qu'après un test réussi.",
  CONFIRMATION_TOKEN_INVALID: () => 'Ce lien de confirmation est invalide, déjà utilisé ou expiré.',
  HOST_KEY_MISMATCH: () =>
    "La clé d'hôte du serveur SFTP a changé depuis le premier test : la connexion est refusée.",
  DELIVERY_FAILED: (p) => `L'envoi a échoué : ${p.reason}.`,
  SUBSCRIPTION_NOT_YET_EFFECTIVE: (p) =>
    `En cours de prise en compte — l'abonnement sera effectif le ${new Date(String(p.effectiveAt)).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })} : les canaux pourront être associés à partir de cette date.`,
};

export function frenchMessage(error: AppError): string {
  return MESSAGES[error.code]?.(error.params) ?? error.detail;
}
