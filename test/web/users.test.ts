import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { UserRecord } from '../../src/db/user.repository.js';
import { describeEachEngine } from '../support/databases.js';
import { seedEntreprise } from '../support/registry-fixtures.js';
import { bearer, json, loginSession, seedUser, startTestServer, type TestServer } from '../support/web.js';

type Body = { code: string; message: string };

describeEachEngine('users, habilitations and authorization', (ctx) => {
  let server: TestServer;
  let admin: { user: UserRecord; token: string };
  let services: { user: UserRecord; token: string };
  let reader: { user: UserRecord; token: string };

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Alpha SA', siren: '356000000', prms: 3 });
    await seedEntreprise(ctx.handle.db, { name: 'Alpha SA', siren: '552100554', prms: 2, prefix: '552' });
    server = await startTestServer(ctx.handle);
    admin = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'admin@alpha.fr',
      habilitations: ['GESTION_UTILISATEURS', 'CONSULTATION'],
    });
    services = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'services@alpha.fr',
      habilitations: ['GESTION_SERVICES_DONNEES'],
    });
    reader = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'lecteur@alpha.fr',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: ['356000000'],
    });
  });
  after(() => server.app.close());

  const call = (
    token: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) => server.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  it('gives a CONSULTATION user 403 FORBIDDEN_HABILITATION on every write', async () => {
    const writes = [
      call(reader.token, 'PUT', '/api/v1/sirens/356000000/subscriptions/B', {
        lines: [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      }),
      call(reader.token, 'POST', '/api/v1/users', {
        email: 'x@alpha.fr',
        displayName: 'X',
        habilitations: ['CONSULTATION'],
      }),
      call(reader.token, 'PATCH', `/api/v1/users/${reader.user.id}`, { habilitations: [] }),
    ];
    for (const response of await Promise.all(writes)) {
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(json<Body>(response).code, 'FORBIDDEN_HABILITATION');
      assert.match(json<Body>(response).message, /habilitation/);
    }
    const read = await call(reader.token, 'GET', '/api/v1/sirens/356000000/subscriptions/B');
    assert.equal(read.statusCode, 200, 'but reads');
  });

  it('lets GESTION_SERVICES_DONNEES manage subscriptions but not habilitations', async () => {
    const put = await call(services.token, 'PUT', '/api/v1/sirens/356000000/subscriptions/B', {
      lines: [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
    });
    assert.equal(put.statusCode, 200, put.body);
    const line = json<{ lines: Array<{ status: string; statusLabel: string }> }>(put).lines[0]!;
    assert.equal(line.status, 'PENDING');
    // Requested 2026-03-02 09:00 UTC: effective 72 h later, shown in Paris time.
    assert.equal(line.statusLabel, 'En cours de prise en compte — effective le 05/03/2026 à 10h00');
    for (const response of [
      await call(services.token, 'PATCH', `/api/v1/users/${reader.user.id}`, {
        habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'],
      }),
      await call(services.token, 'PATCH', `/api/v1/users/${services.user.id}`, {
        habilitations: ['GESTION_SERVICES_DONNEES', 'GESTION_UTILISATEURS'],
      }),
      await call(services.token, 'GET', '/api/v1/users'),
      await call(services.token, 'GET', '/api/v1/audit'),
    ]) {
      assert.equal(response.statusCode, 403);
      assert.equal(json<Body>(response).code, 'FORBIDDEN_HABILITATION');
    }
  });

  it('restricts a user to the SIRENs of their perimeter (404 outside it)', async () => {
    assert.equal(
      (await call(reader.token, 'GET', '/api/v1/sirens/552100554/subscriptions/B')).statusCode,
      404,
    );
    const sirens = json<Array<{ siren: string }>>(await call(reader.token, 'GET', '/api/v1/sirens'));
    assert.deepEqual(
      sirens.map((s) => s.siren),
      ['356000000'],
    );
  });

  it('lets GESTION_UTILISATEURS grant and revoke GESTION_SERVICES_DONNEES, audited', async () => {
    const grant = await call(admin.token, 'PATCH', `/api/v1/users/${reader.user.id}`, {
      habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'],
    });
    assert.equal(grant.statusCode, 200, grant.body);
    assert.deepEqual(json<{ habilitations: string[] }>(grant).habilitations, [
      'CONSULTATION',
      'GESTION_SERVICES_DONNEES',
    ]);
    const revoke = await call(admin.token, 'PATCH', `/api/v1/users/${reader.user.id}`, {
      habilitations: ['CONSULTATION'],
    });
    assert.equal(revoke.statusCode, 200);
    const audit = json<Array<{ action: string; actor: { label: string }; before: unknown; after: unknown }>>(
      await call(admin.token, 'GET', '/api/v1/audit?action=user.rights_changed'),
    );
    assert.equal(audit.length, 2);
    assert.equal(audit[0]!.actor.label, 'admin@alpha.fr');
    assert.deepEqual((audit[0]!.before as { habilitations: string[] }).habilitations, [
      'CONSULTATION',
      'GESTION_SERVICES_DONNEES',
    ]);
    assert.deepEqual((audit[0]!.after as { habilitations: string[] }).habilitations, ['CONSULTATION']);
  });

  it('refuses to widen one own rights and to remove the last GESTION_UTILISATEURS', async () => {
    const widen = await call(admin.token, 'PATCH', `/api/v1/users/${admin.user.id}`, {
      habilitations: ['GESTION_UTILISATEURS', 'CONSULTATION', 'GESTION_SERVICES_DONNEES'],
    });
    assert.equal(widen.statusCode, 403);
    assert.equal(json<Body>(widen).code, 'SELF_RIGHTS_WIDENING');
    const last = await call(admin.token, 'PATCH', `/api/v1/users/${admin.user.id}`, {
      habilitations: ['CONSULTATION'],
    });
    assert.equal(last.statusCode, 409);
    assert.equal(json<Body>(last).code, 'LAST_USER_MANAGER');
    const deactivate = await call(admin.token, 'PATCH', `/api/v1/users/${admin.user.id}`, { active: false });
    assert.equal(json<Body>(deactivate).code, 'LAST_USER_MANAGER');
  });

  it('creates a user with an initial password', async () => {
    const weak = await call(admin.token, 'POST', '/api/v1/users', {
      email: 'direct@alpha.fr',
      displayName: 'Direct',
      habilitations: ['CONSULTATION'],
      password: 'short',
    });
    assert.equal(json<Body>(weak).code, 'WEAK_PASSWORD');
    const created = await call(admin.token, 'POST', '/api/v1/users', {
      email: 'Direct@Alpha.fr',
      displayName: 'Direct',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: ['552100554'],
      password: 'initial-password-1',
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(json<{ email: string }>(created).email, 'direct@alpha.fr');
    assert.doesNotMatch(created.body, /argon2|password/i, 'no hash in answers');
    await loginSession(server.app, 'direct@alpha.fr', 'initial-password-1');
    const taken = await call(admin.token, 'POST', '/api/v1/users', {
      email: 'direct@alpha.fr',
      displayName: 'Again',
      habilitations: [],
      password: 'initial-password-1',
    });
    assert.equal(taken.statusCode, 409);
    const foreignSiren = await call(admin.token, 'POST', '/api/v1/users', {
      email: 'foreign@alpha.fr',
      displayName: 'F',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: ['732829320'],
      password: 'initial-password-1',
    });
    assert.equal(foreignSiren.statusCode, 404, 'a SIREN of nobody or of another entreprise does not exist');
  });

  it('creates a user by invitation: the link goes to the outbox and works once', async () => {
    const created = await call(admin.token, 'POST', '/api/v1/users', {
      email: 'invite@alpha.fr',
      displayName: 'Invitée',
      habilitations: ['CONSULTATION'],
    });
    assert.equal(created.statusCode, 201, created.body);
    const mail = server.mailer.sent.at(-1)!;
    assert.equal(mail.to, 'invite@alpha.fr');
    assert.match(mail.subject, /accès à Publiwatt/);
    const token = /\/invitation\?jeton=([\w-]+)/.exec(mail.text)![1]!;
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'invite@alpha.fr', password: '!' },
    });
    assert.equal(login.statusCode, 401, 'no login before the invitation is accepted');
    const accept = () =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/invitation',
        payload: { token, password: 'my-own-password-2' },
      });
    assert.equal((await accept()).statusCode, 204);
    await loginSession(server.app, 'invite@alpha.fr', 'my-own-password-2');
    assert.equal(json<Body>(await accept()).code, 'INVALID_INVITATION', 'used once');
  });

  it('deactivates a user: their tokens and sessions stop working', async () => {
    const victim = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'partant@alpha.fr',
      habilitations: ['CONSULTATION'],
    });
    const session = await loginSession(server.app, 'partant@alpha.fr');
    const response = await call(admin.token, 'PATCH', `/api/v1/users/${victim.user.id}`, { active: false });
    assert.equal(response.statusCode, 200);
    assert.equal(json<{ active: boolean }>(response).active, false);
    assert.equal((await call(victim.token, 'GET', '/api/v1/sirens')).statusCode, 401);
    const me = await server.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: session.cookie },
    });
    assert.equal(me.statusCode, 401);
    const audit = json<Array<{ action: string }>>(
      await call(admin.token, 'GET', '/api/v1/audit?action=user.deactivated'),
    );
    assert.equal(audit.length, 1);
  });
});
