import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../../src/config.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { buildServer } from '../../src/web/server.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  seedPublicationRegistry,
  storeCurves,
  subscribe,
  seedEmailChannel,
} from '../support/publication-fixtures.js';
import {
  bearer,
  json,
  loginSession,
  seedUser,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
} from '../support/web.js';

const STATIC_CACHE = 'public, max-age=3600';

/** The Content-Security-Policy header as a map of directive → sources. */
function cspOf(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name, sources);
  }
  return directives;
}

/** The headers every answer carries, whatever the route, the caller and the status. */
function assertSecurityHeaders(response: LightMyRequestResponse, label: string, cache = 'no-store'): void {
  const csp = cspOf(response);
  const at = `${label} (${response.statusCode})`;
  assert.deepEqual(csp.get('default-src'), ["'self'"], `${at}: default-src`);
  for (const fetch of ['script-src', 'style-src']) {
    assert.deepEqual(csp.get(fetch) ?? csp.get('default-src'), ["'self'"], `${at}: ${fetch}`);
  }
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${at}: frame-ancestors`);
  assert.deepEqual(csp.get('form-action'), ["'self'"], `${at}: form-action`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${at}: base-uri`);
  assert.deepEqual(csp.get('object-src'), ["'none'"], `${at}: object-src`);
  assert.doesNotMatch(
    String(response.headers['content-security-policy']),
    /unsafe-inline|unsafe-eval/,
    `${at}: nothing inline`,
  );
  assert.equal(response.headers['x-frame-options'], 'DENY', `${at}: X-Frame-Options`);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', `${at}: nosniff`);
  assert.equal(response.headers['referrer-policy'], 'same-origin', `${at}: Referrer-Policy`);
  assert.equal(response.headers['strict-transport-security'], undefined, `${at}: no HSTS over plain HTTP`);
  assert.equal(response.headers['cache-control'], cache, `${at}: Cache-Control`);
}

describeEachEngine('security headers of every answer', (ctx) => {
  let server: TestServer;
  let token: string;
  let session: { cookie: string; csrfToken: string };
  const ids = { publication: 0, subscription: 0, channel: 0, user: 0 };

  before(async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    server = await startTestServer(ctx.handle, '2026-10-20T00:00:00Z');
    const admin = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'admin@alpha.fr',
      habilitations: ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    });
    token = admin.token;
    ids.user = admin.user.id;
    const effectiveAt = new Date('2026-10-20T00:00:00Z');
    ids.subscription = await subscribe(db, {
      entrepriseId: alpha,
      siren: ALPHA_SIREN,
      category: 'B',
      effectiveAt,
      dataType: 'CDC_BRUTE',
      frequency: 'Q',
      format: 'CSV',
    });
    const collected = new Date('2026-10-21T10:00:00Z');
    await storeCurves(db, [fullCurveDay(PRM_B1, '2026-10-20', 'B', 30, 10)], collected);
    await new MeasurementRepository(db).upsertIndexReadings(
      [{ prm: PRM_B1, day: '2026-10-21', register: 'HP', valueWh: 1000, iv: 0 }],
      collected,
    );
    server.clock.set('2026-10-27T00:00:00Z');
    await server.publication.schedule();
    const outcomes = await server.publication.runPending();
    assert.ok(outcomes.some((o) => o.status === 'done'));
    const found = json<{ items: Array<{ id: number }> }>(
      await server.app.inject({ method: 'GET', url: '/api/v1/flux', headers: bearer(token) }),
    );
    ids.publication = found.items[0]!.id;
    ids.channel = await seedEmailChannel(db, alpha, 'flux@alpha.fr', 'Boîte Alpha');
    session = await loginSession(server.app, 'admin@alpha.fr');
  });
  after(() => server.app.close());

  const asSession = (request: InjectOptions): Promise<LightMyRequestResponse> =>
    server.app.inject({
      ...request,
      headers: { ...request.headers, cookie: session.cookie, 'x-csrf-token': session.csrfToken },
    });

  /** A URL of the route: real ids of the caller's own data for reads, ids of nothing for writes. */
  function urlOf(method: string, route: string): string {
    const read = method === 'GET';
    const id = (real: number) => String(read ? real : 999999);
    const byPrefix: Array<[string, string]> = [
      ['/api/v1/flux/', id(ids.publication)],
      ['/portail/flux/', id(ids.publication)],
      ['/api/v1/subscriptions/', id(ids.subscription)],
      ['/portail/abonnements/', id(ids.subscription)],
      ['/api/v1/channels/', id(ids.channel)],
      ['/portail/canaux/', id(ids.channel)],
      ['/api/v1/users/', id(ids.user)],
      ['/portail/utilisateurs/', id(ids.user)],
    ];
    const idValue = byPrefix.find(([prefix]) => route.startsWith(prefix))?.[1] ?? '999999';
    return route
      .replace(':id', idValue)
      .replace(':prm', PRM_B1)
      .replace(':siren', read ? ALPHA_SIREN : '000000000')
      .replace(':category', 'B')
      .replace(':name', 'portal.css')
      .replace(':action', 'desactiver');
  }

  it('sends the CSP, frame, sniffing, referrer and no-store headers on every route, signed in or not', async () => {
    // Logging out ends the session the other calls use: last.
    const routes = [...server.app.registeredRoutes].sort(
      (a, b) => Number(a.url.endsWith('/logout')) - Number(b.url.endsWith('/logout')),
    );
    assert.ok(routes.length > 50, 'every route of the server');
    for (const { method, url: route } of routes) {
      const request: InjectOptions = { method: method as InjectOptions['method'], url: urlOf(method, route) };
      for (const [who, response] of [
        ['anonymous', await server.app.inject(request)],
        ['signed in', await asSession(request)],
      ] as const) {
        const label = `${who} ${method} ${request.url as string}`;
        assert.ok(response.statusCode < 500, `${label}: ${response.statusCode} ${response.body}`);
        const asset = route === '/assets/:name' && response.statusCode === 200;
        assertSecurityHeaders(response, label, asset ? STATIC_CACHE : 'no-store');
      }
    }
    session = await loginSession(server.app, 'admin@alpha.fr');
  });

  it('answers every portal page (and its download) with 200 and the headers', async () => {
    const pages = server.app.registeredRoutes
      .filter((r) => r.method === 'GET' && r.url.startsWith('/portail'))
      .map((r) => urlOf('GET', r.url).replace(/^\/portail\/flux$/, '/portail/flux?recherche=1'));
    assert.ok(pages.length >= 12, pages.join(' '));
    for (const url of pages) {
      const response = await asSession({ method: 'GET', url });
      assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 300)}`);
      const type = url.endsWith('/fichier') ? /^application\/zip$/ : /^text\/html/;
      assert.match(String(response.headers['content-type']), type, url);
      assertSecurityHeaders(response, url);
    }
    for (const url of ['/login', '/invitation?jeton=x']) {
      const response = await server.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assertSecurityHeaders(response, url);
    }
  });

  it('never lets a cache keep a file, a key, a token, a session or a CSRF token', async () => {
    const portalFile = await asSession({ method: 'GET', url: `/portail/flux/${ids.publication}/fichier` });
    assert.equal(portalFile.statusCode, 200);
    assert.equal(portalFile.headers['content-type'], 'application/zip');
    assertSecurityHeaders(portalFile, 'portal download');

    const apiFile = await server.app.inject({
      method: 'GET',
      url: `/api/v1/flux/${ids.publication}/file`,
      headers: bearer(token),
    });
    assert.equal(apiFile.statusCode, 200);
    assert.equal(apiFile.rawPayload.subarray(0, 2).toString(), 'PK');
    assertSecurityHeaders(apiFile, 'API download');

    const apiKey = await server.app.inject({
      method: 'POST',
      url: '/api/v1/encryption-key/reveal',
      headers: bearer(token),
      payload: { password: TEST_PASSWORD },
    });
    assert.equal(apiKey.statusCode, 200, apiKey.body);
    const key = json<{ key: string }>(apiKey).key;
    assertSecurityHeaders(apiKey, 'API key reveal');

    const portalKey = await asSession({
      method: 'POST',
      url: '/portail/canaux/cle/afficher',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `password=${encodeURIComponent(TEST_PASSWORD)}`,
    });
    assert.equal(portalKey.statusCode, 200);
    assert.ok(portalKey.body.includes(key), 'the key is shown');
    assertSecurityHeaders(portalKey, 'portal key reveal');

    const newToken = await server.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer(token),
      payload: { name: 'script' },
    });
    assert.ok([200, 201].includes(newToken.statusCode), newToken.body);
    assert.match(newToken.body, /pw_/);
    assertSecurityHeaders(newToken, 'token creation');

    const apiLogin = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'admin@alpha.fr', password: TEST_PASSWORD },
    });
    assert.equal(apiLogin.statusCode, 200, apiLogin.body);
    assert.ok(apiLogin.headers['set-cookie']);
    assertSecurityHeaders(apiLogin, 'API login');

    const me = await asSession({ method: 'GET', url: '/api/v1/auth/me' });
    assert.match(me.body, /csrfToken/);
    assertSecurityHeaders(me, 'CSRF token of the session');

    const loginPage = await server.app.inject({ method: 'GET', url: '/login' });
    const cookies = ([] as string[])
      .concat(loginPage.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(loginPage.body)?.[1] ?? '';
    const formLogin = await server.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(csrf)}&email=admin%40alpha.fr&password=${encodeURIComponent(TEST_PASSWORD)}`,
    });
    assert.equal(formLogin.statusCode, 303, formLogin.body);
    assert.ok(formLogin.headers['set-cookie'], 'the session cookie');
    assertSecurityHeaders(formLogin, 'portal login');
  });

  it('keeps the OpenAPI document and JSON answers as they were, and static assets cacheable', async () => {
    const openapi = await server.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(openapi.statusCode, 200);
    assert.match(String(openapi.headers['content-type']), /^application\/json/);
    assert.equal(json<{ openapi: string }>(openapi).openapi, '3.0.3');
    assertSecurityHeaders(openapi, 'OpenAPI');
    const health = await server.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(json<{ status: string }>(health).status, 'ok');
    assertSecurityHeaders(health, 'health');
    const missing = await server.app.inject({ method: 'GET', url: '/nothing/here' });
    assert.equal(missing.statusCode, 404);
    assertSecurityHeaders(missing, 'unknown URL');
    for (const name of ['portal.css', 'prm-chart.js', 'copy-button.js', 'uPlot.iife.min.js']) {
      const asset = await server.app.inject({ method: 'GET', url: `/assets/${name}` });
      assert.equal(asset.statusCode, 200, name);
      assertSecurityHeaders(asset, name, STATIC_CACHE);
    }
    assertSecurityHeaders(
      await server.app.inject({ method: 'GET', url: '/assets/nope.js' }),
      'unknown asset',
      'no-store',
    );
  });
});

describeEachEngine('HSTS', (ctx) => {
  let app: Awaited<ReturnType<typeof buildServer>>;

  before(async () => {
    const config: Config = {
      database: { engine: 'sqlite', file: ':memory:' },
      dataDir: mkdtempSync(path.join(tmpdir(), 'publiwatt-hsts-')),
      masterKey: Buffer.alloc(32, 7),
      masterKeySource: 'env',
      smtpUrl: undefined,
      port: 0,
      trustedProxies: ['127.0.0.1'],
    };
    app = await buildServer({
      config,
      database: ctx.handle,
      clock: new FakeClock('2026-03-02T09:00:00Z'),
      logger: pino({ level: 'silent' }),
      notifier: { notify: () => Promise.resolve() },
    });
    await app.ready();
  });
  after(() => app.close());

  it('is sent when the request came over HTTPS, through a trusted proxy, and only then', async () => {
    const https = await app.inject({
      method: 'GET',
      url: '/login',
      headers: { 'x-forwarded-proto': 'https' },
    });
    assert.equal(https.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    const plain = await app.inject({ method: 'GET', url: '/login' });
    assert.equal(plain.headers['strict-transport-security'], undefined);
    const untrusted = await app.inject({
      method: 'GET',
      url: '/login',
      headers: { 'x-forwarded-proto': 'https' },
      remoteAddress: '203.0.113.9',
    });
    assert.equal(untrusted.headers['strict-transport-security'], undefined, 'a client cannot claim HTTPS');
  });
});
