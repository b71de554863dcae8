import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { DEMO_LOGINS, seedDemo } from '../../src/demo/seed-demo.js';
import type { Config } from '../../src/config.js';
import { createPublicationEngine, type PublicationEngine } from '../../src/publication/publication-engine.js';
import { buildServer } from '../../src/web/server.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { FakeClock } from './fake-clock.js';
import { RecordingMailer } from './web.js';

export interface PortalServer {
  app: FastifyInstance;
  base: string;
  clock: FakeClock;
  /** Where the clock started: the demo holds measurements for the 60 days before. */
  startedAt: Date;
  mailer: RecordingMailer;
  database: TestDatabase;
  /** The server's publication engine (runs, archive). */
  publication: PublicationEngine;
  close(): Promise<void>;
}

/**
 * The real server on a fresh SQLite database seeded with the demo, listening on a random port. The
 * fake clock starts at the real time: the browser drops session cookies that expire in its past.
 */
export async function startPortalServer(start: Date = new Date()): Promise<PortalServer> {
  const database = await createTestDatabase('sqlite');
  const clock = new FakeClock(start);
  await seedDemo(database.handle.db, clock.now());
  const mailer = new RecordingMailer();
  const config: Config = {
    database: { engine: 'sqlite', file: ':memory:' },
    dataDir: mkdtempSync(path.join(tmpdir(), 'publiwatt-portal-')),
    masterKey: Buffer.alloc(32, 9),
    masterKeySource: 'env',
    smtpUrl: undefined,
    port: 0,
  };
  const logger = pino({ level: 'silent' });
  const publication = createPublicationEngine({
    config,
    database: database.handle,
    clock,
    logger,
    notifier: { notify: () => Promise.resolve() },
  });
  const app = await buildServer({ config, database: database.handle, clock, logger, mailer, publication });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    base,
    clock,
    startedAt: start,
    mailer,
    database,
    publication,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export type DemoRole = 'admin' | 'consultation' | 'services';

export function demoLogin(role: DemoRole): { email: string; password: string } {
  const login = DEMO_LOGINS.find((l) => l.email.startsWith(`${role}@`));
  if (!login) throw new Error(`no demo login ${role}`);
  return login;
}

/** Logs in through the login form and waits for the home page. */
export async function logIn(page: Page, base: string, role: DemoRole): Promise<void> {
  const login = demoLogin(role);
  await page.goto(`${base}/login`);
  await page.fill('#email', login.email);
  await page.fill('#password', login.password);
  await Promise.all([page.waitForURL(`${base}/portail`), page.click('button[type=submit]')]);
}
