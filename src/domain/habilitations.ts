/** Rights of a portal user (docs/product-rules.md "Users and habilitations"). */
export const HABILITATIONS = ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'] as const;
export type Habilitation = (typeof HABILITATIONS)[number];

export function isHabilitation(value: string): value is Habilitation {
  return (HABILITATIONS as readonly string[]).includes(value);
}
