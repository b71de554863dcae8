import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { SubscriptionService } from '../../src/subscriptions/subscription.service.js';
import { describeEachEngine } from '../support/databases.js';
import { seedEmailChannel, seedFailedDelivery, seedPublication } from '../support/publication-fixtures.js';
import { prmNumber, seedEntreprise, sirenNumber } from '../support/registry-fixtures.js';
import { bearer, json, seedUser, startTestServer, TEST_PASSWORD, type TestServer } from '../support/web.js';

/**
 * What the caller must never reach: entreprise Y's objects (tenant pass), or the objects of a SIREN
 * outside the caller's perimeter in its own entreprise (perimeter pass).
 */
interface Foreign {
  userId: number;
  tokenId: number;
  subscriptionId: number;
  publicationId: number;
  siren: string;
  channelId: number;
  deliveryId: number;
  prm: string;
  /** Strings that must never appear in an answer to X. */
  markers: string[];
}

type Request = InjectOptions;

/**
 * How each route is checked when X's user (all habilitations) calls it:
 * - `public`: reachable without authentication, returns no tenant data (login, health, OpenAPI);
 * - `operator`: refused to customer users (403);
 * - `foreign`: called with Y's ids, must answer 404;
 * - `own`: acts on or lists the caller's own data only: the answer contains nothing of Y.
 *
 * The perimeter pass calls every route the same way as a user of X limited to SIREN A (all
 * habilitations), with the objects of X's SIREN B: `foreign` must answer 404, `operator` 403, and no
 * answer may contain anything of SIREN B. `perimeter: 'entreprise-wide'` marks a `foreign` route whose
 * object is shared by every SIREN of the entreprise (a channel): it belongs to no SIREN, so the
 * perimeter pass does not call it.
 */
type Check =
  | { kind: 'public' }
  | { kind: 'operator'; request: Request }
  | { kind: 'foreign'; request: (y: Foreign) => Request; perimeter?: 'entreprise-wide' }
  | { kind: 'own'; request: (y: Foreign) => Request };

/**
 * One entry per route the server registers. A new route without an entry fails this test: add the
 * entry when you add the route, with Y's ids where the route takes ids.
 */
const ROUTE_CHECKS: Record<string, Check> = {
  'GET /healthz': { kind: 'public' },
  'GET /assets/:name': { kind: 'public' },
  'GET /login': { kind: 'public' },
  'POST /login': { kind: 'public' },
  'GET /invitation': { kind: 'public' },
  'POST /invitation': { kind: 'public' },
  'GET /api/openapi.json': { kind: 'public' },
  'POST /api/v1/auth/login': { kind: 'public' },
  'POST /api/v1/auth/invitation': { kind: 'public' },
  'POST /api/v1/auth/logout': {
    kind: 'own',
    request: () => ({ method: 'POST', url: '/api/v1/auth/logout' }),
  },
  'GET /api/v1/auth/me': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/auth/me' }) },
  'POST /api/v1/auth/password': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: 'wrong-password', newPassword: 'whatever-long-enough' },
    }),
  },
  'GET /api/v1/tokens': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/tokens' }) },
  'POST /api/v1/tokens': {
    kind: 'own',
    request: () => ({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'x' } }),
  },
  'DELETE /api/v1/tokens/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'DELETE', url: `/api/v1/tokens/${y.tokenId}` }),
  },
  'GET /api/v1/users': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/users' }) },
  'GET /api/v1/users/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/users/${y.userId}` }),
  },
  'POST /api/v1/users': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: '/api/v1/users',
      payload: {
        email: 'intrus@x.fr',
        displayName: 'Intrus',
        habilitations: ['CONSULTATION'],
        sirenPerimeter: [y.siren],
        password: 'long-enough-password',
      },
    }),
  },
  'PATCH /api/v1/users/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'PATCH', url: `/api/v1/users/${y.userId}`, payload: { active: false } }),
  },
  'GET /api/v1/sirens': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/sirens' }) },
  'GET /api/v1/sirens/:siren/subscriptions/:category': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/sirens/${y.siren}/subscriptions/B` }),
  },
  'PUT /api/v1/sirens/:siren/subscriptions/:category': {
    kind: 'foreign',
    request: (y) => ({
      method: 'PUT',
      url: `/api/v1/sirens/${y.siren}/subscriptions/B`,
      payload: { lines: [{ dataType: 'INDEX', frequency: 'Q', subscribed: false }] },
    }),
  },
  'GET /api/v1/subscriptions/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/subscriptions/${y.subscriptionId}` }),
  },
  'GET /api/v1/audit': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/audit' }) },
  'GET /api/v1/operator/entreprises': {
    kind: 'operator',
    request: { method: 'GET', url: '/api/v1/operator/entreprises' },
  },
  'GET /api/v1/operator/runs': {
    kind: 'operator',
    request: { method: 'GET', url: '/api/v1/operator/runs?status=failing' },
  },
  'POST /api/v1/operator/runs/:id/retry': {
    kind: 'operator',
    request: { method: 'POST', url: '/api/v1/operator/runs/1/retry' },
  },
  'GET /api/v1/flux': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/flux' }) },
  'GET /api/v1/flux/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/flux/${y.publicationId}` }),
  },
  'GET /api/v1/flux/:id/file': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/flux/${y.publicationId}/file` }),
  },
  'POST /api/v1/flux/:id/resend': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: `/api/v1/flux/${y.publicationId}/resend`,
      payload: { channelId: 1 },
    }),
  },
  'POST /api/v1/subscriptions/:id/rebuild': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: `/api/v1/subscriptions/${y.subscriptionId}/rebuild`,
      payload: { windowStart: '2026-03-01' },
    }),
  },
  'GET /canaux/confirmation': { kind: 'public' },
  'GET /api/v1/channels': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/channels' }) },
  'GET /api/v1/channels/:id': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'GET', url: `/api/v1/channels/${y.channelId}` }),
  },
  'POST /api/v1/channels': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/api/v1/channels',
      payload: { kind: 'email', email: 'canal@xenon.fr' },
    }),
  },
  'PUT /api/v1/channels/:id': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({
      method: 'PUT',
      url: `/api/v1/channels/${y.channelId}`,
      payload: { kind: 'sftp', label: 'x', host: '127.0.0.1', username: 'u', secret: 'p' },
    }),
  },
  'POST /api/v1/channels/:id/activate': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'POST', url: `/api/v1/channels/${y.channelId}/activate` }),
  },
  'POST /api/v1/channels/:id/deactivate': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'POST', url: `/api/v1/channels/${y.channelId}/deactivate` }),
  },
  'POST /api/v1/channels/:id/confirmation': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'POST', url: `/api/v1/channels/${y.channelId}/confirmation` }),
  },
  'POST /api/v1/channels/:id/test': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'POST', url: `/api/v1/channels/${y.channelId}/test` }),
  },
  'GET /api/v1/subscriptions/:id/channels': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/subscriptions/${y.subscriptionId}/channels` }),
  },
  'PUT /api/v1/subscriptions/:id/channels': {
    kind: 'foreign',
    request: (y) => ({
      method: 'PUT',
      url: `/api/v1/subscriptions/${y.subscriptionId}/channels`,
      payload: { channelIds: [] },
    }),
  },
  'GET /api/v1/encryption-key': {
    kind: 'own',
    request: () => ({ method: 'GET', url: '/api/v1/encryption-key' }),
  },
  'POST /api/v1/encryption-key/reveal': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/api/v1/encryption-key/reveal',
      payload: { password: TEST_PASSWORD },
    }),
  },
  'POST /api/v1/encryption-key/rotate': {
    kind: 'own',
    request: () => ({ method: 'POST', url: '/api/v1/encryption-key/rotate' }),
  },
  'GET /api/v1/deliveries': { kind: 'own', request: () => ({ method: 'GET', url: '/api/v1/deliveries' }) },
  'GET /api/v1/deliveries/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/deliveries/${y.deliveryId}` }),
  },
  'GET /api/v1/operator/deliveries': {
    kind: 'operator',
    request: { method: 'GET', url: '/api/v1/operator/deliveries' },
  },
  'POST /api/v1/measurements': {
    kind: 'operator',
    request: {
      method: 'POST',
      url: '/api/v1/measurements?fileName=x.csv',
      headers: { 'content-type': 'text/csv' },
      payload: 'x',
    },
  },
  'POST /api/v1/registry': {
    kind: 'operator',
    request: {
      method: 'POST',
      url: '/api/v1/registry',
      headers: { 'content-type': 'text/csv' },
      payload: 'x',
    },
  },
  'GET /portail/canaux/confirmation': { kind: 'public' },
  'POST /portail/canaux/confirmation': { kind: 'public' },
  'POST /logout': { kind: 'own', request: () => ({ method: 'POST', url: '/logout' }) },
  'GET /portail': { kind: 'own', request: () => ({ method: 'GET', url: '/portail' }) },
  'GET /portail/compte': { kind: 'own', request: () => ({ method: 'GET', url: '/portail/compte' }) },
  'POST /portail/compte': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/portail/compte',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'current=wrong&next=x',
    }),
  },
  'GET /portail/abonnements': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/portail/abonnements?siren=${y.siren}&categorie=B` }),
  },
  'POST /portail/abonnements': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: '/portail/abonnements',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `siren=${y.siren}&categorie=B`,
    }),
  },
  'GET /portail/abonnements/:id/publication': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/portail/abonnements/${y.subscriptionId}/publication` }),
  },
  'POST /portail/abonnements/:id/publication': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: `/portail/abonnements/${y.subscriptionId}/publication`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `canal=${y.channelId}`,
    }),
  },
  'POST /portail/envois/:id/renvoyer': {
    kind: 'foreign',
    request: (y) => ({ method: 'POST', url: `/portail/envois/${y.deliveryId}/renvoyer` }),
  },
  'GET /portail/compteurs': { kind: 'own', request: () => ({ method: 'GET', url: '/portail/compteurs' }) },
  'GET /portail/compteurs/:prm': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/portail/compteurs/${y.prm}` }),
  },
  'GET /api/v1/prms/:prm/measurements': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/api/v1/prms/${y.prm}/measurements` }),
  },
  'GET /portail/collecte': { kind: 'own', request: () => ({ method: 'GET', url: '/portail/collecte' }) },
  'POST /portail/collecte': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: '/portail/collecte',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `un=off:${y.prm}`,
    }),
  },
  'GET /portail/utilisateurs': {
    kind: 'own',
    request: () => ({ method: 'GET', url: '/portail/utilisateurs' }),
  },
  'POST /portail/utilisateurs': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: '/portail/utilisateurs',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `nom=Intrus&email=intrus%40x.fr&habilitation=CONSULTATION&perimetre=liste&siren=${y.siren}`,
    }),
  },
  'GET /portail/utilisateurs/:id': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/portail/utilisateurs/${y.userId}` }),
  },
  'POST /portail/utilisateurs/:id': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: `/portail/utilisateurs/${y.userId}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'habilitation=CONSULTATION',
    }),
  },
  'GET /portail/journal': { kind: 'own', request: () => ({ method: 'GET', url: '/portail/journal' }) },
  'GET /portail/flux': {
    kind: 'own',
    request: () => ({ method: 'GET', url: '/portail/flux?recherche=1' }),
  },
  'GET /portail/flux/:id/fichier': {
    kind: 'foreign',
    request: (y) => ({ method: 'GET', url: `/portail/flux/${y.publicationId}/fichier` }),
  },
  'POST /portail/flux/:id/renvoi': {
    kind: 'foreign',
    request: (y) => ({
      method: 'POST',
      url: `/portail/flux/${y.publicationId}/renvoi`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `channelId=${y.channelId}`,
    }),
  },
  'GET /portail/canaux': { kind: 'own', request: () => ({ method: 'GET', url: '/portail/canaux' }) },
  'POST /portail/canaux/email': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/portail/canaux/email',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=x%40xenon.fr',
    }),
  },
  'POST /portail/canaux/serveur': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/portail/canaux/serveur',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'hote=',
    }),
  },
  'POST /portail/canaux/cle/afficher': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/portail/canaux/cle/afficher',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'password=x',
    }),
  },
  'POST /portail/canaux/cle/renouveler': {
    kind: 'own',
    request: () => ({
      method: 'POST',
      url: '/portail/canaux/cle/renouveler',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'x=1',
    }),
  },
  'GET /portail/canaux/:id': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'GET', url: `/portail/canaux/${y.channelId}` }),
  },
  'POST /portail/canaux/:id': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({
      method: 'POST',
      url: `/portail/canaux/${y.channelId}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'hote=evil.example&identifiant=x',
    }),
  },
  'POST /portail/canaux/:id/:action': {
    kind: 'foreign',
    perimeter: 'entreprise-wide',
    request: (y) => ({ method: 'POST', url: `/portail/canaux/${y.channelId}/desactiver` }),
  },
};

/**
 * Calls every non-public route with `token`, given the unreachable objects `y`: `foreign` routes must
 * answer 404, `operator` routes 403, and no answer may contain one of `y.markers`. Every failing route
 * is reported at once.
 */
async function checkEveryRoute(
  app: FastifyInstance,
  token: string,
  y: Foreign,
  pass: 'tenant' | 'perimeter',
): Promise<void> {
  const failures: string[] = [];
  for (const [route, check] of Object.entries(ROUTE_CHECKS)) {
    if (check.kind === 'public') continue;
    if (pass === 'perimeter' && check.kind === 'foreign' && check.perimeter === 'entreprise-wide') continue;
    const request = check.kind === 'operator' ? check.request : check.request(y);
    const response = await app.inject({ ...request, headers: { ...request.headers, ...bearer(token) } });
    const expected = { foreign: 404, operator: 403, own: undefined }[check.kind];
    if (expected !== undefined && response.statusCode !== expected) {
      failures.push(`${route} answered ${response.statusCode} instead of ${expected}: ${response.body}`);
    }
    const leaked = y.markers.filter((marker) => response.body.includes(marker));
    if (leaked.length > 0) failures.push(`${route} leaked ${leaked.join(', ')}: ${response.body}`);
  }
  assert.deepEqual(failures, []);
}

describeEachEngine('tenant isolation over every route', (ctx) => {
  let server: TestServer;
  let xToken: string;
  let yToken: string;
  let y: Foreign;

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Xenon SA', siren: '356000000', prms: 2, prefix: '111' });
    await seedEntreprise(ctx.handle.db, { name: 'Yttrium SA', siren: '552100554', prms: 2, prefix: '222' });
    server = await startTestServer(ctx.handle);
    const everything = ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'] as const;
    xToken = (
      await seedUser(ctx.handle, {
        entreprise: 'Xenon SA',
        email: 'x@xenon.fr',
        habilitations: [...everything],
      })
    ).token;
    const yUser = await seedUser(ctx.handle, {
      entreprise: 'Yttrium SA',
      email: 'y@yttrium.fr',
      habilitations: [...everything],
    });
    yToken = yUser.token;
    const yTokens = json<Array<{ id: number }>>(
      await server.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(yToken) }),
    );
    const [change] = await new SubscriptionService(ctx.handle.db).applyGrid(
      { entrepriseId: yUser.user.entrepriseId, siren: '552100554', category: 'B' },
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      { type: 'user', id: String(yUser.user.id), label: 'y@yttrium.fr' },
      server.clock.now(),
    );
    const publicationId = await seedPublication(ctx.handle, change!.subscription.id, yUser.user.entrepriseId);
    const yKey = json<{ key: string }>(
      await server.app.inject({
        method: 'POST',
        url: '/api/v1/encryption-key/reveal',
        headers: bearer(yToken),
        payload: { password: TEST_PASSWORD },
      }),
    ).key;
    assert.match(yKey, /^[0-9a-f]{64}$/);
    const channelId = await seedEmailChannel(
      ctx.handle.db,
      yUser.user.entrepriseId,
      'flux@yttrium.fr',
      'Boîte Yttrium',
    );
    const deliveryId = await seedFailedDelivery(ctx.handle.db, {
      publicationId,
      channelId,
      entrepriseId: yUser.user.entrepriseId,
      error: 'connexion refusée',
    });
    y = {
      userId: yUser.user.id,
      tokenId: yTokens[0]!.id,
      subscriptionId: change!.subscription.id,
      publicationId,
      siren: '552100554',
      channelId,
      deliveryId,
      prm: prmNumber(1, '222'),
      markers: [
        'y@yttrium.fr',
        'flux@yttrium.fr',
        prmNumber(1, '222'),
        '552100554',
        'Yttrium',
        change!.subscription.idDemande,
        yKey,
      ],
    };
  });
  after(() => server.app.close());

  it('has a scoping check for every registered route, and no stale one', () => {
    const registered = server.app.registeredRoutes.map((r) => `${r.method} ${r.url}`);
    const missing = registered.filter((route) => !(route in ROUTE_CHECKS));
    assert.deepEqual(missing, [], `routes without an entry in ROUTE_CHECKS: ${missing.join(', ')}`);
    const stale = Object.keys(ROUTE_CHECKS).filter((route) => !registered.includes(route));
    assert.deepEqual(stale, [], 'entries for routes that no longer exist');
  });

  it("answers 404 to X's user on every route given Y's ids, and leaks nothing of Y elsewhere", async () => {
    await checkEveryRoute(server.app, xToken, y, 'tenant');
  });

  it("left Y's data untouched", async () => {
    const grid = await server.app.inject({
      method: 'GET',
      url: '/api/v1/sirens/552100554/subscriptions/B',
      headers: bearer(yToken),
    });
    assert.equal(grid.statusCode, 200, "Y's token still works");
    assert.equal(json<{ lines: Array<{ subscribed: boolean }> }>(grid).lines[0]!.subscribed, true);
    const user = await server.app.inject({
      method: 'GET',
      url: `/api/v1/users/${y.userId}`,
      headers: bearer(yToken),
    });
    assert.equal(json<{ active: boolean }>(user).active, true);
  });
});

describeEachEngine('SIREN perimeters over every route', (ctx) => {
  const sirenA = '356000000';
  const sirenB = sirenNumber(1);
  let server: TestServer;
  let limitedToken: string;
  let admin: { id: number; token: string };
  let b: Foreign;

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Argon SA', siren: sirenA, prms: 2, prefix: '333' });
    await seedEntreprise(ctx.handle.db, { name: 'Argon SA', siren: sirenB, prms: 2, prefix: '444' });
    server = await startTestServer(ctx.handle);
    const everything = ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'] as const;
    limitedToken = (
      await seedUser(ctx.handle, {
        entreprise: 'Argon SA',
        email: 'a@argon.fr',
        habilitations: [...everything],
        sirenPerimeter: [sirenA],
      })
    ).token;
    const adminUser = await seedUser(ctx.handle, {
      entreprise: 'Argon SA',
      email: 'admin@argon.fr',
      habilitations: [...everything],
    });
    admin = { id: adminUser.user.id, token: adminUser.token };
    const bUser = await seedUser(ctx.handle, {
      entreprise: 'Argon SA',
      email: 'b@argon.fr',
      habilitations: [...everything],
      sirenPerimeter: [sirenB],
    });
    const bTokens = json<Array<{ id: number }>>(
      await server.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(bUser.token) }),
    );
    const entrepriseId = adminUser.user.entrepriseId;
    const [change] = await new SubscriptionService(ctx.handle.db).applyGrid(
      { entrepriseId, siren: sirenB, category: 'B' },
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      { type: 'user', id: String(adminUser.user.id), label: 'admin@argon.fr' },
      server.clock.now(),
    );
    const publicationId = await seedPublication(ctx.handle, change!.subscription.id, entrepriseId);
    // The entreprise's channel serves every SIREN: it is B's delivery that must stay out of reach.
    const channelId = await seedEmailChannel(ctx.handle.db, entrepriseId, 'flux@argon.fr', 'Boîte Argon');
    const deliveryId = await seedFailedDelivery(ctx.handle.db, {
      publicationId,
      channelId,
      entrepriseId: entrepriseId,
      error: 'boîte du SIREN B pleine',
    });
    b = {
      userId: bUser.user.id,
      tokenId: bTokens[0]!.id,
      subscriptionId: change!.subscription.id,
      publicationId,
      siren: sirenB,
      channelId,
      deliveryId,
      prm: prmNumber(1, '444'),
      markers: [
        sirenB,
        prmNumber(1, '444'),
        prmNumber(2, '444'),
        'b@argon.fr',
        // The full-perimeter administrator is never within a limited perimeter.
        'admin@argon.fr',
        change!.subscription.idDemande,
        'boîte du SIREN B pleine',
      ],
    };
  });
  after(() => server.app.close());

  it("answers 404 to a user limited to SIREN A on every route given SIREN B's objects, and leaks nothing of B", async () => {
    await checkEveryRoute(server.app, limitedToken, b, 'perimeter');
  });

  it("left SIREN B's objects and the administrator untouched", async () => {
    for (const id of [b.userId, admin.id]) {
      const user = await server.app.inject({
        method: 'GET',
        url: `/api/v1/users/${id}`,
        headers: bearer(admin.token),
      });
      assert.equal(user.statusCode, 200, user.body);
      assert.equal(json<{ active: boolean }>(user).active, true);
      assert.equal(json<{ habilitations: string[] }>(user).habilitations.length, 3);
    }
    const deliveries = await ctx.handle.db
      .selectFrom('delivery')
      .select('id')
      .where('publication_id', '=', b.publicationId)
      .execute();
    assert.equal(deliveries.length, 1, 'no re-send of B');
    const grid = await server.app.inject({
      method: 'GET',
      url: `/api/v1/sirens/${sirenB}/subscriptions/B`,
      headers: bearer(admin.token),
    });
    assert.equal(json<{ lines: Array<{ subscribed: boolean }> }>(grid).lines[0]!.subscribed, true);
  });
});
