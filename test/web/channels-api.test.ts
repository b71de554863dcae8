import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { describeEachEngine } from '../support/databases.js';
import { LOOPBACK_ALLOW } from '../support/delivery-fixtures.js';
import { startSshd, type SshdServer } from '../support/servers/sshd.js';
import { userWritableDir } from '../support/servers/system.js';
import { bearer, confirmByLink, json, seedUser, startTestServer, type TestServer } from '../support/web.js';

let sshd: SshdServer;
before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
});

interface Channel {
  id: number;
  kind: string;
  status: 'ACTIF' | 'INACTIF';
  email: string | null;
  hasSecret: boolean;
  insecure: boolean;
  hostKeyFingerprint: string | null;
  lastTest: { ok: boolean; steps: Array<{ step: string; ok: boolean }> } | null;
}

const FTP_PASSWORD = 'ftp-Secret-never-shown';

describeEachEngine('channels over the REST API', (ctx) => {
  let server: TestServer;
  let manager: Record<string, string>;
  let reader: Record<string, string>;
  let entrepriseId: number;
  /** Every channel answer, to check that no secret ever went out. */
  const answers: string[] = [];

  before(async () => {
    // The test sshd listens on loopback: this suite opens it through the configuration, as an operator would.
    server = await startTestServer(ctx.handle, undefined, { config: { channelAllow: LOOPBACK_ALLOW } });
    const managerUser = await seedUser(ctx.handle, {
      entreprise: 'Canaux SA',
      email: 'gestion@canaux.fr',
      habilitations: ['GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    });
    entrepriseId = managerUser.user.entrepriseId;
    manager = bearer(managerUser.token);
    reader = bearer(
      (
        await seedUser(ctx.handle, {
          entreprise: 'Canaux SA',
          email: 'lecture@canaux.fr',
          habilitations: ['CONSULTATION'],
        })
      ).token,
    );
  });
  after(() => server.app.close());

  async function call(
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: object,
    headers = manager,
  ): Promise<LightMyRequestResponse> {
    const response = await server.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    answers.push(response.body);
    return response;
  }

  function tokenMailedTo(address: string): string {
    const mail = [...server.mailer.sent].reverse().find((m) => m.to === address);
    const match = /jeton=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
    assert.ok(match, `a confirmation link was mailed to ${address}`);
    return match[1]!;
  }

  it('adds an e-mail address Inactif; its link, followed once, activates it on a French page', async () => {
    const created = await call('POST', '/api/v1/channels', {
      kind: 'email',
      label: 'Service énergie',
      email: 'Energie@Canaux.fr',
    });
    assert.equal(created.statusCode, 201, created.body);
    const channel = json<Channel>(created);
    assert.equal(channel.status, 'INACTIF');
    assert.equal(channel.email, 'energie@canaux.fr');
    const refused = await call('POST', `/api/v1/channels/${channel.id}/activate`);
    assert.equal(refused.statusCode, 409);
    assert.match(json<{ message: string }>(refused).message, /pas encore été confirmée/);

    const token = tokenMailedTo('energie@canaux.fr');
    const link = await server.app.inject({ method: 'GET', url: `/canaux/confirmation?jeton=${token}` });
    assert.equal(link.statusCode, 303, 'opening the link confirms nothing by itself');
    assert.equal(link.headers.location, `/portail/canaux/confirmation?jeton=${token}`);
    assert.equal(json<Channel>(await call('GET', `/api/v1/channels/${channel.id}`)).status, 'INACTIF');
    const page = await confirmByLink(server.app, token);
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /<html lang="fr">/);
    assert.match(page.body, /Adresse confirmée/);
    assert.match(page.body, /energie@canaux\.fr/);
    const after = json<Channel>(await call('GET', `/api/v1/channels/${channel.id}`));
    assert.equal(after.status, 'ACTIF');

    const again = await confirmByLink(server.app, token);
    assert.equal(again.statusCode, 400, 'the link works once');
    assert.match(again.body, /invalide, déjà utilisé ou expiré/);
    const none = await confirmByLink(server.app, '');
    assert.equal(none.statusCode, 400);
  });

  it('mails a new link on request; the previous one stops working', async () => {
    const channel = json<Channel>(
      await call('POST', '/api/v1/channels', { kind: 'email', email: 'second@canaux.fr' }),
    );
    const first = tokenMailedTo('second@canaux.fr');
    const resent = await call('POST', `/api/v1/channels/${channel.id}/confirmation`);
    assert.equal(resent.statusCode, 204);
    const second = tokenMailedTo('second@canaux.fr');
    assert.notEqual(first, second);
    const old = await confirmByLink(server.app, first!);
    assert.equal(old.statusCode, 400);
    const ok = await confirmByLink(server.app, second!);
    assert.equal(ok.statusCode, 200);
  });

  it('tests an SFTP server for real, step by step, pins its host key, then allows activation', async () => {
    const created = await call('POST', '/api/v1/channels', {
      kind: 'sftp',
      label: 'SFTP comptabilité',
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      secret: sshd.password,
      remoteDir: userWritableDir(sshd),
    });
    assert.equal(created.statusCode, 201, created.body);
    const channel = json<Channel>(created);
    assert.equal(channel.hasSecret, true);
    assert.equal(channel.status, 'INACTIF');
    assert.equal((await call('POST', `/api/v1/channels/${channel.id}/activate`)).statusCode, 409);

    const tested = await call('POST', `/api/v1/channels/${channel.id}/test`);
    assert.equal(tested.statusCode, 200, tested.body);
    const report = json<{ ok: boolean; steps: Array<{ step: string; ok: boolean }>; channel: Channel }>(
      tested,
    );
    assert.equal(report.ok, true, tested.body);
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok]),
      [
        ['connect', true],
        ['write', true],
        ['rename', true],
        ['delete', true],
      ],
    );
    assert.equal(report.channel.hostKeyFingerprint, sshd.hostKeyFingerprint);
    const activated = await call('POST', `/api/v1/channels/${channel.id}/activate`);
    assert.equal(json<Channel>(activated).status, 'ACTIF');

    const edited = await call('PUT', `/api/v1/channels/${channel.id}`, {
      kind: 'sftp',
      label: 'SFTP comptabilité',
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      secret: 'another-password',
    });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.equal(json<Channel>(edited).status, 'INACTIF', 'a new secret needs a new test');
    const failed = json<{ ok: boolean; steps: Array<{ step: string; ok: boolean }> }>(
      await call('POST', `/api/v1/channels/${channel.id}/test`),
    );
    assert.equal(failed.ok, false, 'wrong password: the test reports the failed step');
    assert.deepEqual(failed.steps, [
      { step: 'connect', ok: false, message: 'Authentification refusée', failure: 'authentication' },
    ]);
    assert.ok(!answers.some((body) => body.includes('another-password')));
    assert.ok(!answers.some((body) => body.includes(sshd.password)), 'the SFTP password never comes back');
  });

  it('flags plain FTP as insecure and requires the explicit acknowledgement', async () => {
    const base = { kind: 'ftp', label: 'FTP', host: '127.0.0.1', username: 'u', secret: FTP_PASSWORD };
    const refused = await call('POST', '/api/v1/channels', base);
    assert.equal(refused.statusCode, 400);
    assert.equal(json<{ code: string }>(refused).code, 'CHANNEL_INVALID');
    const created = await call('POST', '/api/v1/channels', { ...base, insecureAcknowledged: true });
    assert.equal(created.statusCode, 201);
    assert.equal(json<Channel>(created).insecure, true);
    const ftps = await call('POST', '/api/v1/channels', {
      ...base,
      kind: 'ftps',
      label: 'FTPS',
      allowSelfSigned: true,
    });
    assert.equal(json<Channel>(ftps).insecure, false);
  });

  it('without the allow-list, refuses a private host when saved and a loopback one when tested, after the fixed delay', async () => {
    const strict = await startTestServer(ctx.handle, undefined, { channelTestFailureDelayMs: 300 });
    try {
      const send = (method: 'POST' | 'PUT', url: string, payload?: object) =>
        strict.app.inject({ method, url, headers: manager, ...(payload ? { payload } : {}) });
      const refused = await send('POST', '/api/v1/channels', {
        kind: 'sftp',
        label: 'Interne',
        host: '10.0.0.1',
        username: 'depot',
        secret: 'mot-de-passe',
      });
      assert.equal(refused.statusCode, 400);
      const body = json<{ code: string; message: string }>(refused);
      assert.equal(body.code, 'CHANNEL_INVALID');
      assert.match(body.message, /« Hôte » \(10\.0\.0\.1\) désigne une adresse non autorisée/);

      // The sshd channel saved while loopback was allowed: the connection-time check refuses it.
      const [sftp] = json<Channel[]>(await call('GET', '/api/v1/channels')).filter((c) => c.kind === 'sftp');
      const started = performance.now();
      const tested = await send('POST', `/api/v1/channels/${sftp!.id}/test`);
      assert.ok(performance.now() - started >= 295, 'a failed test answers after the fixed delay');
      assert.equal(tested.statusCode, 200);
      assert.deepEqual(json<{ steps: unknown }>(tested).steps, [
        {
          step: 'connect',
          ok: false,
          message: 'Adresse non autorisée (réseau local, privé ou réservé)',
          failure: 'address-refused',
        },
      ]);
    } finally {
      await strict.app.close();
    }
  });

  it('deactivates a channel, audited', async () => {
    const [active] = json<Channel[]>(await call('GET', '/api/v1/channels')).filter(
      (c) => c.status === 'ACTIF',
    );
    const response = await call('POST', `/api/v1/channels/${active!.id}/deactivate`);
    assert.equal(json<Channel>(response).status, 'INACTIF');
    const audit = await new AuditRepository(ctx.handle.db).listForEntreprise(entrepriseId, {
      action: 'channel.',
    });
    const actions = new Set(audit.map((a) => a.action));
    for (const action of [
      'channel.created',
      'channel.confirmed',
      'channel.tested',
      'channel.activated',
      'channel.updated',
      'channel.deactivated',
    ]) {
      assert.ok(actions.has(action), `${action} audited`);
    }
    assert.ok(!JSON.stringify(audit).includes(FTP_PASSWORD), 'no secret in the audit log');
  });

  it('lets a CONSULTATION user read channels but change nothing (403)', async () => {
    const list = await call('GET', '/api/v1/channels', undefined, reader);
    assert.equal(list.statusCode, 200);
    const [first] = json<Channel[]>(list);
    const writes: Array<['POST' | 'PUT', string, object?]> = [
      ['POST', '/api/v1/channels', { kind: 'email', email: 'x@canaux.fr' }],
      [
        'PUT',
        `/api/v1/channels/${first!.id}`,
        { kind: 'sftp', label: 'x', host: 'h', username: 'u', secret: 's' },
      ],
      ['POST', `/api/v1/channels/${first!.id}/activate`],
      ['POST', `/api/v1/channels/${first!.id}/deactivate`],
      ['POST', `/api/v1/channels/${first!.id}/confirmation`],
      ['POST', `/api/v1/channels/${first!.id}/test`],
    ];
    for (const [method, url, payload] of writes) {
      const response = await call(method, url, payload, reader);
      assert.equal(response.statusCode, 403, `${method} ${url}`);
      assert.equal(json<{ code: string }>(response).code, 'FORBIDDEN_HABILITATION');
    }
  });

  it('never returned a secret in any channel answer', () => {
    assert.ok(answers.length > 20);
    for (const body of answers) {
      assert.ok(!body.includes(FTP_PASSWORD), body);
      assert.ok(!body.includes(sshd.password), body);
      assert.ok(!/secret_sealed|"secret"/.test(body), body);
    }
  });
});
