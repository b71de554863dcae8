import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildServer } from '../../src/web/server.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import { bearer, seedUser } from '../support/web.js';

describeEachEngine('server wiring without injected mail', (ctx) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-wiring-'));
  let app: FastifyInstance;

  before(async () => {
    app = await buildServer({
      config: {
        database: { engine: 'sqlite', file: ':memory:' },
        dataDir,
        masterKey: Buffer.alloc(32, 3),
        masterKeySource: 'env',
        smtpUrl: undefined,
        port: 0,
        publicUrl: 'https://publiwatt.example',
      },
      database: ctx.handle,
      clock: new FakeClock('2026-03-02T09:00:00Z'),
      logger: pino({ level: 'silent' }),
    });
    await app.ready();
  });
  after(() => app.close());

  it('sends the confirmation link of a new address through the configured mailer (outbox without SMTP)', async () => {
    const { token } = await seedUser(ctx.handle, {
      entreprise: 'Boîte SA',
      email: 'gestion@boite.fr',
      habilitations: ['GESTION_SERVICES_DONNEES'],
    });
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: bearer(token),
      payload: { kind: 'email', email: 'reception@boite.fr' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const outbox = path.join(dataDir, 'outbox');
    const mails = readdirSync(outbox).filter((name) => name.endsWith('.eml'));
    assert.equal(mails.length, 1);
    const mail = readFileSync(path.join(outbox, mails[0]!), 'utf8');
    assert.match(mail, /To: reception@boite\.fr/);
    assert.match(
      mail.replace(/=\r?\n/g, ''),
      /https:\/\/publiwatt\.example\/portail\/canaux\/confirmation\?jeton=/,
    );
  });
});
