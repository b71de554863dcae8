import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { LOCKOUT_DURATION_MS, LOCKOUT_THRESHOLD } from '../../src/auth/login.service.js';
import { DEVICE_COOKIE, LOGIN_RATE_LIMIT } from '../../src/web/api/auth.routes.js';
import { describeEachEngine } from '../support/databases.js';
import {
  TEST_PASSWORD,
  bearer,
  json,
  loginSession,
  randomAddress,
  seedUser,
  startTestServer,
  type TestServer,
} from '../support/web.js';

const codeOf = (response: LightMyRequestResponse) => json<{ code?: string }>(response).code;

function login(
  app: FastifyInstance,
  email: string,
  password: string,
  extra: { device?: string; remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    remoteAddress: extra.remoteAddress ?? randomAddress(),
    headers: {
      ...extra.headers,
      ...(extra.device === undefined ? {} : { cookie: `${DEVICE_COOKIE}=${extra.device}` }),
    },
  });
}

function deviceOf(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === DEVICE_COOKIE);
  assert.ok(cookie, `a device cookie is set (${response.statusCode} ${response.body})`);
  assert.equal(cookie.httpOnly, true);
  return cookie.value;
}

describeEachEngine('login throttling', (ctx) => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer(ctx.handle);
  });
  after(() => server.app.close());

  it('counts a parallel burst atomically: the lock engages at the limit, the right password in the burst is refused', async () => {
    const email = 'burst@alpha.fr';
    await seedUser(ctx.handle, { entreprise: 'Alpha SA', email, habilitations: ['CONSULTATION'] });
    const answered: LightMyRequestResponse[] = [];
    const wrong = Array.from({ length: 50 }, (_, i) =>
      login(server.app, email, `wrong-${i}`).then((response) => {
        answered.push(response);
        return response;
      }),
    );
    // Once five wrong guesses have been answered, five have been counted; the right one comes while
    // the others are still in flight.
    while (answered.length < LOCKOUT_THRESHOLD) await new Promise((resolve) => setTimeout(resolve, 2));
    const right = await login(server.app, email, TEST_PASSWORD);
    const responses = await Promise.all(wrong);
    assert.equal(right.statusCode, 429, right.body);
    assert.equal(codeOf(right), 'ACCOUNT_LOCKED');
    const checked = responses.filter((r) => r.statusCode === 401);
    assert.equal(checked.length, LOCKOUT_THRESHOLD - 1, 'only the guesses up to the limit are checked');
    assert.ok(responses.every((r) => r.statusCode === 401 || codeOf(r) === 'ACCOUNT_LOCKED'));
    const audit = await ctx.handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'user.locked_out')
      .execute();
    assert.equal(audit.length, 1, 'one lock, audited once');
  });

  it('lets a browser that logged in before pass a lock set by strangers, and only that browser', async () => {
    const email = 'victim@alpha.fr';
    await seedUser(ctx.handle, { entreprise: 'Alpha SA', email, habilitations: ['CONSULTATION'] });
    const device = deviceOf(await login(server.app, email, TEST_PASSWORD));
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) await login(server.app, email, 'guess');
    assert.equal(codeOf(await login(server.app, email, TEST_PASSWORD)), 'ACCOUNT_LOCKED');

    const known = await login(server.app, email, TEST_PASSWORD, { device });
    assert.equal(known.statusCode, 200, 'the known browser still logs in');
    assert.equal(
      codeOf(await login(server.app, email, TEST_PASSWORD)),
      'ACCOUNT_LOCKED',
      'its success does not unlock the address for strangers',
    );

    const [id] = device.split('.');
    const forged = `${id}.${'A'.repeat(43)}`;
    assert.equal(codeOf(await login(server.app, email, TEST_PASSWORD, { device: forged })), 'ACCOUNT_LOCKED');
    const other = 'other@alpha.fr';
    await seedUser(ctx.handle, { entreprise: 'Alpha SA', email: other, habilitations: ['CONSULTATION'] });
    const otherDevice = deviceOf(await login(server.app, other, TEST_PASSWORD));
    assert.equal(
      codeOf(await login(server.app, email, TEST_PASSWORD, { device: otherDevice })),
      'ACCOUNT_LOCKED',
      "another address's device token is a stranger's",
    );
  });

  it('locks a known browser after its own failures, then forgets them with time', async () => {
    const email = 'device@alpha.fr';
    await seedUser(ctx.handle, { entreprise: 'Alpha SA', email, habilitations: ['CONSULTATION'] });
    const device = deviceOf(await login(server.app, email, TEST_PASSWORD));
    for (let i = 1; i < LOCKOUT_THRESHOLD; i++) {
      assert.equal((await login(server.app, email, 'wrong', { device })).statusCode, 401);
    }
    assert.equal(codeOf(await login(server.app, email, 'wrong', { device })), 'ACCOUNT_LOCKED');
    assert.equal(codeOf(await login(server.app, email, TEST_PASSWORD, { device })), 'ACCOUNT_LOCKED');
    assert.equal(
      (await login(server.app, email, TEST_PASSWORD)).statusCode,
      200,
      "the device's failures do not lock the address for other browsers",
    );
    server.clock.advance(LOCKOUT_DURATION_MS);
    assert.equal((await login(server.app, email, TEST_PASSWORD, { device })).statusCode, 200);
  });

  it('limits password confirmations (password change, key reveal) per user, before checking the password', async () => {
    const email = 'reauth@alpha.fr';
    const seeded = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email,
      habilitations: ['GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    });
    const session = await loginSession(server.app, email);
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
    const change = (currentPassword: string) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers,
        remoteAddress: randomAddress(),
        payload: { currentPassword, newPassword: 'une phrase de passe assez longue' },
      });
    const reveal = (password: string) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/encryption-key/reveal',
        headers,
        remoteAddress: randomAddress(),
        payload: { password },
      });
    const wrong = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? change('wrong') : reveal('wrong'))),
    );
    assert.equal(wrong.filter((r) => codeOf(r) === 'RATE_LIMITED').length, 20 - LOCKOUT_THRESHOLD);
    const rightReveal = await reveal(TEST_PASSWORD);
    assert.equal(rightReveal.statusCode, 429, 'the right password is refused while locked');
    assert.equal(codeOf(await change(TEST_PASSWORD)), 'RATE_LIMITED');
    server.clock.advance(LOCKOUT_DURATION_MS);
    assert.equal((await reveal(TEST_PASSWORD)).statusCode, 200);
    // The token seeded with the user works until the password changes.
    assert.equal(
      (await server.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(seeded.token) }))
        .statusCode,
      200,
    );
    assert.equal((await change(TEST_PASSWORD)).statusCode, 204);
    const revoked = await server.app.inject({
      method: 'GET',
      url: '/api/v1/tokens',
      headers: bearer(seeded.token),
    });
    assert.equal(revoked.statusCode, 401, 'a password change revokes the personal API tokens');
  });
});

describeEachEngine('client address behind proxies', (ctx) => {
  const forged = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });

  it('ignores X-Forwarded-For when no proxy is trusted: forged headers do not escape the rate limits', async () => {
    const server = await startTestServer(ctx.handle);
    try {
      const session = await loginSession(server.app, (await seedAccount(ctx, 'xff@alpha.fr')).email);
      const routes: Array<{ url: string; payload: object; headers?: Record<string, string> }> = [
        { url: '/api/v1/auth/login', payload: { email: 'nobody@alpha.fr', password: 'x' } },
        { url: '/api/v1/auth/invitation', payload: { token: 'not-a-token', password: 'x' } },
        {
          url: '/api/v1/encryption-key/reveal',
          payload: { password: 'x' },
          headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
        },
        {
          url: '/api/v1/auth/password',
          payload: { currentPassword: 'x', newPassword: 'y' },
          headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
        },
      ];
      for (const [r, route] of routes.entries()) {
        const remoteAddress = `203.0.113.${r + 1}`;
        const remaining: string[] = [];
        let last: LightMyRequestResponse | undefined;
        for (let i = 0; i <= LOGIN_RATE_LIMIT.max; i++) {
          last = await server.app.inject({
            method: 'POST',
            url: route.url,
            payload: route.payload,
            remoteAddress,
            headers: { ...route.headers, ...forged(i) },
          });
          remaining.push(String(last.headers['x-ratelimit-remaining']));
        }
        // Every request counted under the one socket address, whatever address the header claimed.
        const expected = Array.from({ length: LOGIN_RATE_LIMIT.max + 1 }, (_, i) =>
          String(Math.max(0, LOGIN_RATE_LIMIT.max - 1 - i)),
        );
        assert.deepEqual(remaining, expected, route.url);
        assert.equal(last!.statusCode, 429, route.url);
        assert.equal(codeOf(last!), 'RATE_LIMITED', route.url);
      }
    } finally {
      await server.app.close();
    }
  });

  it('takes the address a trusted proxy appended, not the prefix the client wrote', async () => {
    const server = await startTestServer(ctx.handle, undefined, {
      config: { trustedProxies: ['127.0.0.1'] },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i <= LOGIN_RATE_LIMIT.max; i++) {
        const response = await server.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: `nobody${i}@alpha.fr`, password: 'x' },
          remoteAddress: '127.0.0.1',
          // The client wrote the first address; the proxy appended the one it saw.
          headers: { 'x-forwarded-for': `198.51.100.${i}, 192.0.2.7` },
        });
        statuses.push(response.statusCode);
      }
      assert.equal(statuses.at(-1), 429, statuses.join(','));
      const another = await server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'someone@alpha.fr', password: 'x' },
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '192.0.2.8' },
      });
      assert.notEqual(another.statusCode, 429, 'another client behind the same proxy has its own limit');
      const tls = await login(server.app, (await seedAccount(ctx, 'tls@alpha.fr')).email, TEST_PASSWORD, {
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '192.0.2.9', 'x-forwarded-proto': 'https' },
      });
      assert.equal(tls.cookies.find((c) => c.name === 'publiwatt_session')?.secure, true);
      const untrusted = await login(server.app, 'tls@alpha.fr', TEST_PASSWORD, {
        remoteAddress: '192.0.2.10',
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.notEqual(
        untrusted.cookies.find((c) => c.name === 'publiwatt_session')?.secure,
        true,
        'X-Forwarded-Proto from an untrusted peer is ignored',
      );
    } finally {
      await server.app.close();
    }
  });
});

async function seedAccount(ctx: { handle: Parameters<typeof seedUser>[0] }, email: string) {
  await seedUser(ctx.handle, {
    entreprise: 'Alpha SA',
    email,
    habilitations: ['GESTION_SERVICES_DONNEES', 'CONSULTATION'],
  });
  return { email };
}
