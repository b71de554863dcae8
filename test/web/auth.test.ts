import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { LOCKOUT_DURATION_MS, LOCKOUT_THRESHOLD } from '../../src/auth/login.service.js';
import { describeEachEngine } from '../support/databases.js';
import { registryCsv } from '../support/registry-fixtures.js';
import { LOGIN_RATE_LIMIT } from '../../src/web/api/auth.routes.js';
import {
  TEST_PASSWORD,
  randomAddress,
  bearer,
  json,
  loginSession,
  seedOperator,
  seedUser,
  startTestServer,
  type TestServer,
} from '../support/web.js';

describeEachEngine('authentication', (ctx) => {
  let server: TestServer;
  let userToken: string;
  let operatorToken: string;

  before(async () => {
    server = await startTestServer(ctx.handle);
    userToken = (
      await seedUser(ctx.handle, {
        entreprise: 'Alpha SA',
        email: 'alice@alpha.fr',
        habilitations: ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'],
        sirens: ['356000000'],
      })
    ).token;
    await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'bob@alpha.fr',
      habilitations: ['CONSULTATION'],
    });
    operatorToken = await seedOperator(ctx.handle, 'ops@distributeur.fr');
  });
  after(() => server.app.close());

  // Secure behind a TLS proxy: test/web/login-throttle.test.ts (the proxy must be trusted).
  it('logs in with a session cookie HttpOnly, SameSite=Lax', async () => {
    const plain = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'Alice@Alpha.fr', password: TEST_PASSWORD },
      remoteAddress: randomAddress(),
    });
    assert.equal(plain.statusCode, 200, plain.body);
    const cookie = plain.cookies.find((c) => c.name === 'publiwatt_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.notEqual(cookie.secure, true, 'plain HTTP (local embedded use)');
    const me = await server.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: `publiwatt_session=${cookie.value}` },
    });
    assert.equal(json<{ user: { email: string } }>(me).user.email, 'alice@alpha.fr');
  });

  it('refuses a wrong password with a French message and a stable code', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'alice@alpha.fr', password: 'nope' },
    });
    assert.equal(response.statusCode, 401);
    assert.deepEqual(json(response), {
      code: 'INVALID_CREDENTIALS',
      message: 'Adresse e-mail ou mot de passe incorrect.',
    });
  });

  it(`locks an address after ${LOCKOUT_THRESHOLD} failures, for ${LOCKOUT_DURATION_MS / 60000} minutes`, async () => {
    const attempt = (password: string) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'bob@alpha.fr', password },
      });
    for (let i = 1; i < LOCKOUT_THRESHOLD; i++) assert.equal((await attempt('wrong')).statusCode, 401);
    const locking = await attempt('wrong');
    assert.equal(locking.statusCode, 429);
    assert.equal(json<{ code: string }>(locking).code, 'ACCOUNT_LOCKED');
    const right = await attempt(TEST_PASSWORD);
    assert.equal(json<{ code: string }>(right).code, 'ACCOUNT_LOCKED', 'even the right password is refused');
    server.clock.advance(LOCKOUT_DURATION_MS - 1000);
    assert.equal(json<{ code: string }>(await attempt(TEST_PASSWORD)).code, 'ACCOUNT_LOCKED');
    server.clock.advance(1000);
    assert.equal((await attempt(TEST_PASSWORD)).statusCode, 200, 'unlocked when the duration is over');
  });

  it('locks unknown addresses the same way, revealing nothing', async () => {
    let last;
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) {
      last = await server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'ghost@alpha.fr', password: 'x' },
        remoteAddress: randomAddress(),
      });
    }
    assert.equal(json<{ code: string }>(last!).code, 'ACCOUNT_LOCKED');
  });

  it(`rate-limits logins to ${LOGIN_RATE_LIMIT.max} a minute per client address`, async () => {
    const remoteAddress = randomAddress();
    const codes: number[] = [];
    for (let i = 0; i <= LOGIN_RATE_LIMIT.max; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: `nobody${i}@alpha.fr`, password: 'x' },
        remoteAddress,
      });
      codes.push(response.statusCode);
      if (i === LOGIN_RATE_LIMIT.max) assert.equal(json<{ code: string }>(response).code, 'RATE_LIMITED');
    }
    assert.deepEqual(new Set(codes.slice(0, -1)), new Set([401]));
    assert.equal(codes.at(-1), 429);
  });

  it('refuses a cookie-authenticated write without a valid CSRF token', async () => {
    const alice = await loginSession(server.app, 'alice@alpha.fr');
    const other = await loginSession(server.app, 'alice@alpha.fr');
    const post = (headers: Record<string, string>) =>
      server.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'csrf' } });
    const missing = await post({ cookie: alice.cookie });
    assert.equal(missing.statusCode, 403);
    assert.equal(json<{ code: string }>(missing).code, 'CSRF_INVALID');
    const forged = await post({ cookie: alice.cookie, 'x-csrf-token': 'forged' });
    assert.equal(json<{ code: string }>(forged).code, 'CSRF_INVALID');
    const fromOtherSession = await post({ cookie: alice.cookie, 'x-csrf-token': other.csrfToken });
    assert.equal(fromOtherSession.statusCode, 403, 'a token is bound to its session');
    const ok = await post({ cookie: alice.cookie, 'x-csrf-token': alice.csrfToken });
    assert.equal(ok.statusCode, 201, ok.body);
    const form = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: alice.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(alice.csrfToken)}`,
    });
    assert.equal(form.statusCode, 204, 'a form field works as well as the header');
  });

  it('exempts bearer-token calls from CSRF (no cookie involved)', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer(userToken),
      payload: { name: 'script' },
    });
    assert.equal(response.statusCode, 201);
  });

  it('ends the session at logout', async () => {
    const alice = await loginSession(server.app, 'alice@alpha.fr');
    const logout = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrfToken },
    });
    assert.equal(logout.statusCode, 204);
    const me = await server.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: alice.cookie },
    });
    assert.equal(me.statusCode, 401);
  });

  it('expires sessions with the clock', async () => {
    const alice = await loginSession(server.app, 'alice@alpha.fr');
    server.clock.advance(8 * 3600 * 1000);
    const me = await server.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: alice.cookie },
    });
    assert.equal(me.statusCode, 401);
  });

  it('creates, lists and revokes personal tokens; a revoked token stops working', async () => {
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer(userToken),
      payload: { name: 'integration' },
    });
    const { id, token, prefix } = json<{ id: number; token: string; prefix: string }>(created);
    assert.match(token, /^pw_/);
    assert.ok(token.startsWith(prefix));
    const list = await server.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(token) });
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, new RegExp(token.slice(10)), 'the secret is never listed');
    assert.ok(json<Array<{ id: number }>>(list).some((t) => t.id === id));
    const revoke = await server.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${id}`,
      headers: bearer(userToken),
    });
    assert.equal(revoke.statusCode, 204);
    const after = await server.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(token) });
    assert.equal(after.statusCode, 401);
    assert.equal(json<{ code: string }>(after).code, 'UNAUTHENTICATED');
    const again = await server.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${id}`,
      headers: bearer(userToken),
    });
    assert.equal(again.statusCode, 404);
  });

  it('changes the password: the old one stops working, other sessions end', async () => {
    const first = await loginSession(server.app, 'bob@alpha.fr');
    const second = await loginSession(server.app, 'bob@alpha.fr');
    const weak = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie: first.cookie, 'x-csrf-token': first.csrfToken },
      payload: { currentPassword: TEST_PASSWORD, newPassword: 'short' },
    });
    assert.equal(json<{ code: string }>(weak).code, 'WEAK_PASSWORD');
    const change = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie: first.cookie, 'x-csrf-token': first.csrfToken },
      payload: { currentPassword: TEST_PASSWORD, newPassword: 'a-much-longer-password' },
    });
    assert.equal(change.statusCode, 204, change.body);
    const me = (cookie: string) =>
      server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } });
    assert.equal((await me(first.cookie)).statusCode, 200, 'the session that changed it stays');
    assert.equal((await me(second.cookie)).statusCode, 401, 'other sessions end');
    await loginSession(server.app, 'bob@alpha.fr', 'a-much-longer-password');
  });

  it('keeps customers out of operator routes and operators out of customer routes', async () => {
    const asUser = await server.app.inject({
      method: 'GET',
      url: '/api/v1/operator/entreprises',
      headers: bearer(userToken),
    });
    assert.equal(asUser.statusCode, 403);
    assert.equal(json<{ code: string }>(asUser).code, 'OPERATOR_ONLY');
    const asOperator = await server.app.inject({
      method: 'GET',
      url: '/api/v1/operator/entreprises',
      headers: bearer(operatorToken),
    });
    assert.equal(asOperator.statusCode, 200);
    assert.ok(json<Array<{ name: string }>>(asOperator).some((e) => e.name === 'Alpha SA'));
    const operatorOnCustomer = await server.app.inject({
      method: 'GET',
      url: '/api/v1/sirens',
      headers: bearer(operatorToken),
    });
    assert.equal(operatorOnCustomer.statusCode, 403);
    assert.equal(json<{ code: string }>(operatorOnCustomer).code, 'CUSTOMER_ONLY');
  });

  it('imports a registry over HTTP for operators only', async () => {
    const csv = registryCsv([{ entreprise: 'Alpha SA', siren: '356000000', prm: '30001000000001' }]);
    const asUser = await server.app.inject({
      method: 'POST',
      url: '/api/v1/registry',
      headers: { ...bearer(userToken), 'content-type': 'text/csv' },
      payload: csv,
    });
    assert.equal(asUser.statusCode, 403);
    const asOperator = await server.app.inject({
      method: 'POST',
      url: '/api/v1/registry',
      headers: { ...bearer(operatorToken), 'content-type': 'text/csv' },
      payload: csv,
    });
    assert.equal(asOperator.statusCode, 200, asOperator.body);
    assert.equal(json<{ prmsCreated: number }>(asOperator).prmsCreated, 1);
    const bad = await server.app.inject({
      method: 'POST',
      url: '/api/v1/registry',
      headers: { ...bearer(operatorToken), 'content-type': 'text/csv' },
      payload: registryCsv([{ prm: '123' }]),
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(json<{ code: string }>(bad).code, 'REGISTRY_IMPORT_REJECTED');
  });

  it('serves a French login page whose form needs its CSRF token', async () => {
    const page = await server.app.inject({ method: 'GET', url: '/login' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="fr">/);
    assert.match(page.body, /Mot de passe/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const secretCookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const noToken = await server.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: secretCookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=alice%40alpha.fr&password=${TEST_PASSWORD}`,
    });
    assert.equal(noToken.statusCode, 403);
    const ok = await server.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: secretCookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(csrf)}&email=alice%40alpha.fr&password=${TEST_PASSWORD}`,
    });
    assert.equal(ok.statusCode, 303);
    assert.ok(ok.cookies.some((c) => c.name === 'publiwatt_session'));
  });
});
