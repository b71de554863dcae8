import { Type, type Static } from '@sinclair/typebox';
import { HABILITATIONS } from '../../domain/habilitations.js';
import type { UserRecord } from '../../db/user.repository.js';

/** Shared shapes of the REST API; each route module declares its own request and response schemas. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'stable error code' }),
    message: Type.String({ description: 'French' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({
            description: 'JSON Pointer into the location, e.g. `/lines/0/format`; empty for all of it',
          }),
          location: Type.Union([
            Type.Literal('body'),
            Type.Literal('querystring'),
            Type.Literal('params'),
            Type.Literal('headers'),
          ]),
          rule: Type.String({
            description: 'JSON Schema keyword broken: required, type, enum, minimum, maxLength, pattern, …',
          }),
          message: Type.String({ description: 'French, naming the field and the rule' }),
        }),
        { description: '`INVALID_INPUT` from the request schema: each value that does not match it' },
      ),
    ),
  },
  { $id: 'Error' },
);

export const HabilitationSchema = Type.Union(
  [Type.Literal(HABILITATIONS[0]), Type.Literal(HABILITATIONS[1]), Type.Literal(HABILITATIONS[2])],
  { description: 'GESTION_UTILISATEURS, GESTION_SERVICES_DONNEES or CONSULTATION' },
);

export const SirenPerimeter = Type.Union([Type.Array(Type.String({ pattern: '^\\d{9}$' })), Type.Null()], {
  description: 'SIRENs the user sees; null = every SIREN of the entreprise',
});

export const UserView = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  displayName: Type.String(),
  habilitations: Type.Array(HabilitationSchema),
  sirenPerimeter: SirenPerimeter,
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export function userView(user: UserRecord): Static<typeof UserView> {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    habilitations: user.habilitations,
    sirenPerimeter: user.sirenPerimeter,
    active: user.active,
    createdAt: user.createdAt,
  };
}

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Error responses every authenticated route may give. */
export const AUTH_ERRORS = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;
