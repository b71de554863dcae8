import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../../src/config.js';
import { createPublicationEngine, type PublicationEngine } from '../../src/publication/publication-engine.js';
import { hashPassword } from '../../src/auth/password.js';
import { issueSecret } from '../../src/auth/secret-token.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { ApiTokenRepository } from '../../src/db/api-token.repository.js';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { OperatorRepository } from '../../src/db/operator.repository.js';
import { UserRepository, type UserRecord } from '../../src/db/user.repository.js';
import type { Habilitation } from '../../src/domain/habilitations.js';
import type { Mail, Mailer } from '../../src/notification/mailer.js';
import type { Notifier, NotifierMessage } from '../../src/notification/notifier.js';
import { buildServer, type ServerDeps } from '../../src/web/server.js';
import { FakeClock } from './fake-clock.js';

export class RecordingMailer implements Mailer {
  readonly sent: Mail[] = [];
  send(mail: Mail): Promise<void> {
    this.sent.push(mail);
    return Promise.resolve();
  }
}

export class RecordingNotifier implements Notifier {
  readonly messages: NotifierMessage[] = [];
  notify(message: NotifierMessage): Promise<void> {
    this.messages.push(message);
    return Promise.resolve();
  }
}

export interface TestServer {
  app: FastifyInstance;
  clock: FakeClock;
  mailer: RecordingMailer;
  notifier: RecordingNotifier;
  /** The server's publication engine (same archive and master key). */
  publication: PublicationEngine;
}

/** The real server on a test database, with a fake clock and recording mailer and notifier. */
export async function startTestServer(
  handle: DatabaseHandle,
  start = '2026-03-02T09:00:00Z',
  options: Pick<ServerDeps, 'uploadLimitBytes' | 'channelTestFailureDelayMs'> & {
    config?: Partial<Config>;
  } = {},
): Promise<TestServer> {
  const clock = new FakeClock(start);
  const mailer = new RecordingMailer();
  const notifier = new RecordingNotifier();
  const config: Config = {
    database: { engine: 'sqlite', file: ':memory:' },
    dataDir: mkdtempSync(path.join(tmpdir(), 'publiwatt-web-')),
    masterKey: Buffer.alloc(32, 7),
    masterKeySource: 'env',
    smtpUrl: undefined,
    port: 0,
    ...options.config,
  };
  const logger = pino({ level: 'silent' });
  const publication = createPublicationEngine({ config, database: handle, clock, logger, notifier, mailer });
  const app = await buildServer({
    config,
    database: handle,
    clock,
    logger,
    mailer,
    notifier,
    publication,
    ...(options.uploadLimitBytes !== undefined ? { uploadLimitBytes: options.uploadLimitBytes } : {}),
    // A failed channel test answers at once unless a suite checks the delay.
    channelTestFailureDelayMs: options.channelTestFailureDelayMs ?? 0,
  });
  await app.ready();
  return { app, clock, mailer, notifier, publication };
}

let passwordHashCache: Promise<string> | undefined;
export const TEST_PASSWORD = 'correct-horse-battery';

/** A user of the named entreprise (created with the given SIRENs when absent), with a password and a token. */
export async function seedUser(
  handle: DatabaseHandle,
  options: {
    entreprise: string;
    email: string;
    habilitations: Habilitation[];
    sirens?: string[];
    sirenPerimeter?: string[] | null;
    now?: Date;
  },
): Promise<{ user: UserRecord; token: string }> {
  const now = options.now ?? new Date('2026-01-01T00:00:00Z');
  const entreprises = new EntrepriseRepository(handle.db);
  const entreprise = await entreprises.findByName(options.entreprise);
  const entrepriseId = entreprise?.id ?? (await entreprises.insert(options.entreprise, now));
  for (const siren of options.sirens ?? []) {
    if (!(await entreprises.findSiren(siren))) await entreprises.insertSiren(siren, entrepriseId, now);
  }
  passwordHashCache ??= hashPassword(TEST_PASSWORD);
  const users = new UserRepository(handle.db);
  const id = await users.insert(
    {
      entrepriseId,
      email: options.email,
      displayName: options.email.split('@')[0]!,
      passwordHash: await passwordHashCache,
      habilitations: options.habilitations,
      sirenPerimeter: options.sirenPerimeter ?? null,
      active: true,
    },
    now,
  );
  const secret = issueSecret('pw_');
  await new ApiTokenRepository(handle.db).insert(
    { userId: id },
    { name: 'test', hash: secret.hash, prefix: secret.prefix },
    now,
  );
  return { user: (await users.find(id))!, token: secret.token };
}

export async function seedOperator(handle: DatabaseHandle, email: string): Promise<string> {
  const id = await new OperatorRepository(handle.db).insert(email, null, new Date('2026-01-01T00:00:00Z'));
  const secret = issueSecret('pwop_');
  await new ApiTokenRepository(handle.db).insert(
    { operatorId: id },
    { name: 'test', hash: secret.hash, prefix: secret.prefix },
    new Date('2026-01-01T00:00:00Z'),
  );
  return secret.token;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function json<T = unknown>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}

/** A client address of its own, so the per-address login rate limit does not couple tests. */
export function randomAddress(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

/** Session cookie and CSRF token after a JSON login. */
export async function loginSession(
  app: FastifyInstance,
  email: string,
  password = TEST_PASSWORD,
): Promise<{ cookie: string; csrfToken: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return { cookie, csrfToken: json<{ csrfToken: string }>(response).csrfToken };
}

/**
 * Follows an e-mail confirmation link as a person would: the page (which sets the form's CSRF cookie),
 * then its "Confirmer l'adresse" button. Returns the answer to the button.
 */
export async function confirmByLink(app: FastifyInstance, token: string) {
  const page = await app.inject({ method: 'GET', url: `/portail/canaux/confirmation?jeton=${token}` });
  const cookies = ([] as string[])
    .concat(page.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return app.inject({
    method: 'POST',
    url: '/portail/canaux/confirmation',
    headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(csrf)}&jeton=${encodeURIComponent(token)}`,
  });
}
