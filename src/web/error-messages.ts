import { parisDateTimeOf } from '../domain/french-dates.js';
import type { AppError, ErrorCode } from '../domain/app-error.js';

/** French messages shown to customers, by error code. Built at the edge only. */
const MESSAGES: Partial<Record<ErrorCode, (p: Readonly<Record<string, string | number>>) => string>> = {
  INVALID_INPUT: (p) =>
    p.body === 'malformed-json'
      ? "Le corps de la requête n'est pas un JSON valide : vérifiez sa syntaxe (guillemets, virgules, accolades)."
      : p.body === 'empty-json'
        ? 'Le corps de la requête est vide alors que son type est application/json.'
        : p.reason !== undefined
          ? String(p.reason)
          : 'La requête contient une valeur invalide.',
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
  CSV_NOT_ALLOWED_OVER_100_PRM: (p) =>
    `Le format CSV n'est pas disponible : le SIREN compte ${p.count} PRM dans cette catégorie (plus de ${p.limit}), seul le format JSON est possible.`,
  SUBSCRIPTION_NOT_YET_EFFECTIVE: (p) =>
    `L'abonnement est en cours de prise en compte : il sera effectif le ${parisDateTimeOf(String(p.effectiveAt))}. Il ne peut pas encore être associé à un canal.`,
  SUBSCRIPTION_ENDED: () => "L'abonnement a été résilié.",
  NOT_IN_CATALOG: (p) =>
    `L'abonnement « ${p.dataType} / ${p.frequency} » n'existe pas pour cette catégorie de compteurs.`,
  DUPLICATE_GRID_LINE: (p) =>
    `L'abonnement « ${p.dataType} / ${p.frequency} » figure deux fois dans la grille.`,
  UNAUTHENTICATED: () => 'Veuillez vous connecter.',
  INVALID_CREDENTIALS: () => 'Adresse e-mail ou mot de passe incorrect.',
  ACCOUNT_LOCKED: (p) =>
    `Trop de tentatives de connexion échouées : le compte est verrouillé jusqu'au ${parisDateTimeOf(String(p.until))}.`,
  RATE_LIMITED: () => 'Trop de requêtes. Veuillez patienter avant de réessayer.',
  CSRF_INVALID: () =>
    'Le jeton de sécurité du formulaire est absent ou invalide. Rechargez la page et réessayez.',
  FORBIDDEN_HABILITATION: (p) =>
    `Vous n'avez pas l'habilitation nécessaire (${HABILITATION_LABELS[String(p.habilitation)] ?? p.habilitation}).`,
  CUSTOMER_ONLY: () => 'Cette fonction est réservée aux utilisateurs des entreprises clientes.',
  CONCURRENT_CHANGE: () =>
    'Ces données ont été modifiées en même temps par quelqu’un d’autre : rechargez la page et recommencez.',
  OPERATOR_ONLY: () => "Cette fonction est réservée à l'exploitant.",
  SELF_RIGHTS_WIDENING: () => 'Vous ne pouvez pas étendre vos propres droits.',
  PERIMETER_BEYOND_OWN: () => 'Vous ne pouvez pas attribuer un périmètre de SIREN plus large que le vôtre.',
  LAST_USER_MANAGER: () =>
    "Impossible : l'entreprise doit garder au moins un utilisateur actif habilité à la gestion des utilisateurs.",
  EMAIL_TAKEN: (p) => `L'adresse e-mail ${p.email} est déjà celle d'un utilisateur de votre entreprise.`,
  INVALID_EMAIL: (p) =>
    p.reason === 'empty'
      ? 'Le champ « Adresse e-mail » est obligatoire.'
      : p.reason === 'several'
        ? `Le champ « Adresse e-mail » doit contenir une seule adresse, or « ${p.value} » en contient plusieurs : créez un utilisateur par adresse.`
        : p.reason === 'display-name'
          ? `Le champ « Adresse e-mail » doit contenir l'adresse seule, sans nom ni chevrons : « ${p.value} » n'en est pas une (exemple : prenom.nom@entreprise.fr).`
          : p.reason === 'too-long'
            ? 'Le champ « Adresse e-mail » est trop long : une adresse compte au plus 254 caractères.'
            : `Le champ « Adresse e-mail » est invalide : « ${p.value} » n'est pas une adresse de la forme prenom.nom@entreprise.fr, sans espace.`,
  WEAK_PASSWORD: (p) =>
    p.reason === 'too-short'
      ? `Le mot de passe doit compter au moins ${p.min} caractères. Le plus simple : une phrase de plusieurs mots sans rapport entre eux, par exemple quatre mots séparés par des tirets.`
      : (p.reason === 'personal'
          ? "Ce mot de passe repose sur l'adresse e-mail, le nom ou l'entreprise du compte, que d'autres connaissent. "
          : 'Ce mot de passe est trop facile à deviner. ') +
        "Choisissez-en un plus long, par exemple une phrase de plusieurs mots sans rapport entre eux, sans reprendre l'adresse e-mail, le nom ou l'entreprise du compte." +
        (p.advice === undefined ? '' : ` Conseil : ${p.advice}`),
  INVALID_INVITATION: () => "Le lien d'invitation est invalide, expiré ou déjà utilisé.",
  UNSUPPORTED_MEDIA_TYPE: (p) => `Type de contenu non accepté (attendu : ${p.expected}).`,
  INVALID_ENCRYPTION_KEY: () => 'La clé de chiffrement doit compter 64 caractères hexadécimaux.',
  DECRYPTION_FAILED: () =>
    'Le fichier ne peut pas être déchiffré avec cette clé (mauvaise clé ou fichier non chiffré).',
  MASTER_KEY_MISMATCH: () => 'Une donnée protégée est illisible. Contactez le support.',
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
  SEARCH_DATE_BEFORE_ARCHIVE: (p) =>
    `La date du ${p.day} est antérieure au ${p.first} : aucune publication n'existe avant cette date.`,
  SEARCH_DATE_OUTSIDE_RETENTION: (p) =>
    `La date du ${p.day} est hors de la période consultable : les flux sont conservés 4 ans, la recherche est possible à partir du ${p.oldest}.`,
  SEARCH_DATE_RANGE_INVALID: (p) =>
    `La date de début (${p.from}) est postérieure à la date de fin (${p.to}).`,
  WINDOW_INVALID: (p) =>
    `La période demandée n'est pas une période de publication de cet abonnement : ${p.reason}.`,
  WINDOW_HAS_NO_DATA: () =>
    "Aucune donnée nouvelle n'a été collectée sur cette période : il n'y a pas de fichier à produire.",
  RUN_NOT_RETRYABLE: () =>
    "Cette publication n'est pas à relancer : elle est déjà produite, sans données, ou en cours de production.",
  IMPORT_REJECTED: (p) =>
    `Le fichier ${p.file} a été refusé : ${p.count} erreur(s), aucune mesure n'a été importée.`,
  UPLOAD_TOO_LARGE: (p) => {
    const limit = Number(p.limit);
    const size = limit >= 1024 ** 2 ? `${Math.floor(limit / 1024 ** 2)} Mo` : `${Math.ceil(limit / 1024)} Ko`;
    const what = p.subject === 'body' ? 'Le corps de la requête' : 'Le fichier';
    return `${what} dépasse la taille maximale acceptée (${size}).`;
  },
};

const HABILITATION_LABELS: Readonly<Record<string, string>> = {
  GESTION_UTILISATEURS: 'Gestion des utilisateurs',
  GESTION_SERVICES_DONNEES: 'Gestion des services de données',
  CONSULTATION: 'Consultation',
};

/** The French message of an error; a rule broken on one line of a grid names that line first. */
export function frenchMessage(error: AppError): string {
  const message = MESSAGES[error.code]?.(error.params) ?? error.detail;
  return error.params.line === undefined ? message : `Ligne ${error.params.line} : ${message}`;
}
