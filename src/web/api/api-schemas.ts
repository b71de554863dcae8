import { Type, type Static } from '@sinclair/typebox';
import { HABILITATIONS } from '../../domain/habilitations.js';
import type { DeliveryRow } from '../../db/delivery.repository.js';
import type { UserRecord } from '../../db/user.repository.js';
import { giveUpAtOf } from '../../delivery/delivery-progress.js';

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

/**
 * Where a delivery stands in its attempts, the same in every view of a delivery (`/deliveries`, the
 * deliveries of `/flux`). A `pending` delivery with `attempts > 0` is waiting after a failure.
 */
export const DeliveryAttemptFields = {
  attempts: Type.Integer({ description: 'attempts made so far, the one under way included' }),
  firstAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when the first attempt started: the 72 h of retries count from it',
  }),
  nextAttemptAt: Type.String({
    format: 'date-time',
    description: '`pending`: when the next attempt is due; afterwards, the last one that was scheduled',
  }),
  giveUpAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      '`pending` or `delivering` after a first attempt: an attempt failing from then on is the last and ' +
      'the delivery becomes `failed` (72 h after `firstAttemptAt`); null before the first attempt and ' +
      'once `delivered` or `failed`',
  }),
  lastError: Type.Union([Type.String(), Type.Null()], {
    description:
      "the last failed attempt's fixed French text (docs/delivery.md), never a server's reply; null " +
      'before any failure and once `delivered`',
  }),
};

export function deliveryAttemptFields(row: DeliveryRow) {
  return {
    attempts: row.attempts,
    firstAttemptAt: row.first_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    giveUpAt: giveUpAtOf(row)?.toISOString() ?? null,
    lastError: row.last_error,
  };
}

/** Error responses every authenticated route may give. */
export const AUTH_ERRORS = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;
