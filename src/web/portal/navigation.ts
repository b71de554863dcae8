import type { Habilitation } from '../../domain/habilitations.js';

export interface NavItem {
  href: string;
  label: string;
  /** The item shows when the user holds at least one of these rights. */
  anyOf: readonly Habilitation[];
}

export interface NavGroup {
  label: string;
  items: readonly NavItem[];
}

const READ: readonly Habilitation[] = ['CONSULTATION', 'GESTION_SERVICES_DONNEES', 'GESTION_UTILISATEURS'];
const SERVICES: readonly Habilitation[] = ['GESTION_SERVICES_DONNEES'];
const USERS: readonly Habilitation[] = ['GESTION_UTILISATEURS'];

/** The portal menu, as on the distributor's customer space. */
export const NAVIGATION: readonly NavGroup[] = [
  {
    label: 'Vos données énergétiques',
    items: [
      { href: '/portail/compteurs', label: 'Vos compteurs', anyOf: READ },
      { href: '/portail/abonnements', label: 'Vos abonnements', anyOf: READ },
      { href: '/portail/collecte', label: 'Gérer la collecte de la courbe de charge', anyOf: READ },
      { href: '/portail/flux', label: 'Recherche de flux', anyOf: READ },
    ],
  },
  {
    label: 'Votre entreprise',
    items: [
      { href: '/portail/canaux', label: 'Vos canaux numériques', anyOf: SERVICES },
      { href: '/portail/utilisateurs', label: 'Habilitation de vos utilisateurs', anyOf: USERS },
      { href: '/portail/journal', label: 'Journal', anyOf: USERS },
    ],
  },
];

/** The menu a user sees: forbidden pages are absent, not merely failing. */
export function navigationFor(habilitations: readonly Habilitation[]): NavGroup[] {
  return NAVIGATION.map((group) => ({
    label: group.label,
    items: group.items.filter((item) => item.anyOf.some((h) => habilitations.includes(h))),
  })).filter((group) => group.items.length > 0);
}
