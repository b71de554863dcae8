import { Type } from '@sinclair/typebox';
import type { KeyMetadata } from '../../delivery/encryption-key.service.js';
import { currentUser } from '../guards.js';
import { serviceActorOf } from '../service-actor-of.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody } from './api-schemas.js';
import { LOGIN_RATE_LIMIT } from './auth.routes.js';

const Instant = Type.String({ format: 'date-time' });

const KeyMetadataView = Type.Object({
  version: Type.Integer({ description: 'the version new deliveries are encrypted with' }),
  createdAt: Instant,
  ageDays: Type.Integer({ description: 'whole days since the current version was created' }),
  versions: Type.Array(
    Type.Object({
      version: Type.Integer(),
      createdAt: Instant,
      retiredAt: Type.Union([Instant, Type.Null()]),
    }),
    { description: 'every version, newest first; a delivery records the version it used' },
  ),
});

const DAY_MS = 86_400_000;

function metadataView(metadata: KeyMetadata, now: Date) {
  return {
    ...metadata,
    ageDays: Math.floor((now.getTime() - Date.parse(metadata.createdAt)) / DAY_MS),
  };
}

/**
 * The entreprise's customer encryption key (AES-256, 64 hex). Metadata for any user; the key itself
 * only to GESTION_SERVICES_DONNEES after the password is typed again. Reveals, refusals and rotations
 * are audited by the key service.
 */
export const encryptionKeyRoutes: ApiRouteModule = (app, ctx) => {
  const keys = ctx.delivery.keys;

  app.get(
    '/encryption-key',
    {
      schema: {
        tags: ['encryption key'],
        summary: 'Version, creation date and age of the encryption key (never the key)',
        response: { 200: KeyMetadataView, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      return metadataView(await keys.describe(user.entrepriseId), ctx.clock.now());
    },
  );

  app.post(
    '/encryption-key/reveal',
    {
      config: { rateLimit: LOGIN_RATE_LIMIT },
      schema: {
        tags: ['encryption key'],
        summary: 'Show the key (64 hex characters) after re-entering the password',
        description:
          'Decrypt a delivered file with `openssl enc -d -aes-256-cbc -K <key> -iv <first 16 bytes in ' +
          'hex>` on the rest of the file, or `npx publiwatt decrypt --key <key> <file>`. A wrong ' +
          'password answers 403 `PASSWORD_CONFIRMATION_FAILED` and is audited.',
        body: Type.Object(
          {
            password: Type.String({ maxLength: 1024 }),
            version: Type.Optional(
              Type.Integer({ minimum: 1, description: 'an older version (default: the current one)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ version: Type.Integer(), key: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
          400: ErrorBody,
          429: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      const revealed = await keys.reveal(serviceActorOf(user), {
        password: request.body.password,
        verifyPassword: (password) => ctx.logins.confirmPassword(user, password, ctx.clock.now()),
        ...(request.body.version !== undefined ? { version: request.body.version } : {}),
      });
      return { version: revealed.version, key: revealed.hex };
    },
  );

  app.post(
    '/encryption-key/rotate',
    {
      schema: {
        tags: ['encryption key'],
        summary: 'Create a new key version; files already sent keep the version they were sent with',
        response: { 200: KeyMetadataView, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      await keys.rotate(serviceActorOf(user));
      return metadataView(await keys.describe(user.entrepriseId), ctx.clock.now());
    },
  );
};
