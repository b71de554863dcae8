import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { UserRecord } from '../../src/db/user.repository.js';
import { DeliveryService } from '../../src/delivery/delivery.service.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { SubscriptionService } from '../../src/subscriptions/subscription.service.js';
import { serviceActorOf } from '../../src/web/service-actor-of.js';
import { describeEachEngine } from '../support/databases.js';
import { seedEmailChannel, seedFailedDelivery, seedPublication } from '../support/publication-fixtures.js';
import { prmNumber, registryCsv, seedEntreprise, sirenNumber } from '../support/registry-fixtures.js';
import { bearer, json, seedUser, startTestServer, type TestServer } from '../support/web.js';

type Body = { code: string };
type Entry = { id: number; action: string; target: string };
type Seeded = { user: UserRecord; token: string };

describeEachEngine('SIREN perimeters of user managers, the audit log and deliveries', (ctx) => {
  const sirenA = '356000000';
  const sirenB = sirenNumber(1);
  const prmA = prmNumber(1, '111');
  const prmB = prmNumber(1, '222');
  /** Attached to A, then to B: it concerns both. */
  const movedPrm = prmNumber(1, '333');
  let server: TestServer;
  let entrepriseId: number;
  let admin: Seeded;
  let manager: Seeded;
  let readerA: Seeded;
  let readerAB: Seeded;
  let everywhere: Seeded;
  let subscriptionA: number;
  let subscriptionB: number;
  let publicationA: number;
  let publicationB: number;
  let deliveryA: number;
  let deliveryB: number;

  const call = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object | string) =>
    server.app.inject({
      method,
      url,
      headers: {
        ...bearer(token),
        ...(typeof payload === 'string' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(payload !== undefined ? { payload } : {}),
    });

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Bore SA', siren: sirenA, prms: 2, prefix: '111' });
    await seedEntreprise(ctx.handle.db, { name: 'Bore SA', siren: sirenB, prms: 2, prefix: '222' });
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { entreprise: 'Bore SA', siren: sirenA, prm: movedPrm, start: '2024-01-01', end: '2025-01-01' },
        { entreprise: 'Bore SA', siren: sirenB, prm: movedPrm, start: '2025-01-01' },
      ]),
      {
        source: 'moved.csv',
        now: new Date('2026-01-01T00:00:00Z'),
        actor: { type: 'system', id: null, label: 'test' },
      },
    );
    server = await startTestServer(ctx.handle);
    const everything = ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'] as const;
    admin = await seedUser(ctx.handle, {
      entreprise: 'Bore SA',
      email: 'admin@bore.fr',
      habilitations: [...everything],
    });
    entrepriseId = admin.user.entrepriseId;
    manager = await seedUser(ctx.handle, {
      entreprise: 'Bore SA',
      email: 'gestion-a@bore.fr',
      habilitations: [...everything],
      sirenPerimeter: [sirenA],
    });
    readerA = await seedUser(ctx.handle, {
      entreprise: 'Bore SA',
      email: 'lecteur-a@bore.fr',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: [sirenA],
    });
    readerAB = await seedUser(ctx.handle, {
      entreprise: 'Bore SA',
      email: 'lecteur-ab@bore.fr',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: [sirenA, sirenB],
    });
    everywhere = await seedUser(ctx.handle, {
      entreprise: 'Bore SA',
      email: 'lecteur-tous@bore.fr',
      habilitations: ['CONSULTATION'],
    });

    const subscriptions = new SubscriptionService(ctx.handle.db);
    const subscribe = async (siren: string) => {
      const [change] = await subscriptions.applyGrid(
        { entrepriseId, siren, category: 'B' },
        [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
        { type: 'user', id: String(admin.user.id), label: 'admin@bore.fr' },
        server.clock.now(),
      );
      return change!.subscription.id;
    };
    subscriptionA = await subscribe(sirenA);
    subscriptionB = await subscribe(sirenB);
    publicationA = await seedPublication(ctx.handle, subscriptionA, entrepriseId);
    publicationB = await seedPublication(ctx.handle, subscriptionB, entrepriseId);
    const channelId = await seedEmailChannel(ctx.handle.db, entrepriseId, 'flux@bore.fr', 'Boîte Bore');
    const failedDelivery = (publicationId: number, error: string) =>
      seedFailedDelivery(ctx.handle.db, { publicationId, channelId, entrepriseId, error });
    deliveryA = await failedDelivery(publicationA, 'serveur du SIREN A injoignable');
    deliveryB = await failedDelivery(publicationB, 'serveur du SIREN B injoignable');
  });
  after(() => server.app.close());

  const resendsOf = async (publicationId: number) =>
    (
      await ctx.handle.db
        .selectFrom('delivery')
        .select('id')
        .where('publication_id', '=', publicationId)
        .where('resend_seq', '>', 0)
        .execute()
    ).length;

  it('shows a limited manager only the users within its perimeter', async () => {
    const listed = json<Array<{ email: string }>>(await call(manager.token, 'GET', '/api/v1/users'));
    assert.deepEqual(listed.map((u) => u.email).sort(), ['gestion-a@bore.fr', 'lecteur-a@bore.fr']);
    for (const user of [admin, readerAB, everywhere]) {
      const response = await call(manager.token, 'GET', `/api/v1/users/${user.user.id}`);
      assert.equal(response.statusCode, 404, `${user.user.email}: ${response.body}`);
      assert.equal(json<Body>(response).code, 'NOT_FOUND');
    }
    assert.equal((await call(manager.token, 'GET', `/api/v1/users/${readerA.user.id}`)).statusCode, 200);
    const all = json<Array<{ email: string }>>(await call(admin.token, 'GET', '/api/v1/users'));
    assert.equal(all.length, 5, 'a full-perimeter manager sees everyone');
  });

  it('refuses a limited manager deactivating the full-perimeter administrator or granting beyond its perimeter', async () => {
    const attempts = [
      call(manager.token, 'PATCH', `/api/v1/users/${admin.user.id}`, { active: false }),
      call(manager.token, 'PATCH', `/api/v1/users/${everywhere.user.id}`, {
        habilitations: ['CONSULTATION', 'GESTION_UTILISATEURS'],
      }),
      call(manager.token, 'PATCH', `/api/v1/users/${readerAB.user.id}`, { active: false }),
      // Widening a user within its perimeter to a SIREN it does not see: that SIREN does not exist for it.
      call(manager.token, 'PATCH', `/api/v1/users/${readerA.user.id}`, { sirenPerimeter: [sirenA, sirenB] }),
    ];
    for (const response of await Promise.all(attempts)) {
      assert.equal(response.statusCode, 404, response.body);
      assert.equal(json<Body>(response).code, 'NOT_FOUND');
    }
    const toFull = await call(manager.token, 'PATCH', `/api/v1/users/${readerA.user.id}`, {
      sirenPerimeter: null,
    });
    assert.equal(toFull.statusCode, 403, toFull.body);
    assert.equal(json<Body>(toFull).code, 'PERIMETER_BEYOND_OWN');

    const stored = async (id: number) =>
      json<{ active: boolean; habilitations: string[]; sirenPerimeter: string[] | null }>(
        await call(admin.token, 'GET', `/api/v1/users/${id}`),
      );
    assert.equal((await stored(admin.user.id)).active, true);
    assert.deepEqual((await stored(everywhere.user.id)).habilitations, ['CONSULTATION']);
    assert.equal((await stored(readerAB.user.id)).active, true);
    assert.deepEqual((await stored(readerA.user.id)).sirenPerimeter, [sirenA]);

    const within = await call(manager.token, 'PATCH', `/api/v1/users/${readerA.user.id}`, {
      habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'],
    });
    assert.equal(within.statusCode, 200, within.body);
  });

  it('lets a limited manager create users within its perimeter only', async () => {
    const create = (email: string, sirenPerimeter?: string[]) =>
      call(manager.token, 'POST', '/api/v1/users', {
        email,
        displayName: 'Nouvel utilisateur',
        habilitations: ['CONSULTATION'],
        ...(sirenPerimeter !== undefined ? { sirenPerimeter } : {}),
      });
    const outside = await create('hors-perimetre@bore.fr', [sirenB]);
    assert.equal(outside.statusCode, 404, outside.body);
    const wider = await create('plus-large@bore.fr', [sirenA, sirenB]);
    assert.equal(wider.statusCode, 404, wider.body);
    const full = await create('tout@bore.fr');
    assert.equal(full.statusCode, 403, full.body);
    assert.equal(json<Body>(full).code, 'PERIMETER_BEYOND_OWN');
    const ok = await create('nouveau-a@bore.fr', [sirenA]);
    assert.equal(ok.statusCode, 201, ok.body);
  });

  it('shows a limited manager only the audit entries of its SIRENs, paginated over what it sees', async () => {
    // A user created over A and B then narrowed to A: the entries recording B stay hidden.
    const created = await call(admin.token, 'POST', '/api/v1/users', {
      email: 'resserre@bore.fr',
      displayName: 'Resserré',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: [sirenA, sirenB],
    });
    assert.equal(created.statusCode, 201, created.body);
    const narrowedId = json<{ id: number }>(created).id;
    for (const change of [
      { sirenPerimeter: [sirenA] },
      { habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'] },
    ]) {
      assert.equal((await call(admin.token, 'PATCH', `/api/v1/users/${narrowedId}`, change)).statusCode, 200);
    }
    const channel = await call(admin.token, 'POST', '/api/v1/channels', {
      kind: 'email',
      email: 'autre@bore.fr',
    });
    assert.equal(channel.statusCode, 201, channel.body);
    // A change of a user beyond the manager's perimeter: the full-perimeter administrator sees it.
    const widened = await call(admin.token, 'PATCH', `/api/v1/users/${readerAB.user.id}`, {
      habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'],
    });
    assert.equal(widened.statusCode, 200, widened.body);
    const token = await call(readerA.token, 'POST', '/api/v1/tokens', { name: 'script' });
    assert.equal(token.statusCode, 201, token.body);
    const readerTokenId = json<{ id: number }>(token).id;
    // A token of a user beyond the manager's perimeter: its entry records no SIREN, its user does.
    const tokenAB = await call(readerAB.token, 'POST', '/api/v1/tokens', { name: 'script' });
    assert.equal(tokenAB.statusCode, 201, tokenAB.body);
    const readerABTokenId = json<{ id: number }>(tokenAB).id;

    const seen = json<Entry[]>(await call(manager.token, 'GET', '/api/v1/audit?limit=500'));
    const targets = new Set(seen.map((e) => e.target));
    for (const expected of [
      `siren:${sirenA}`,
      `prm:${prmA}`,
      `subscription:${subscriptionA}`,
      `user:${narrowedId}`,
      `api_token:${readerTokenId}`,
    ]) {
      assert.ok(targets.has(expected), `sees ${expected}`);
    }
    for (const hidden of [
      `siren:${sirenB}`,
      `prm:${prmB}`,
      `prm:${movedPrm}`,
      `subscription:${subscriptionB}`,
      `user:${admin.user.id}`,
      `user:${readerAB.user.id}`,
      `api_token:${readerABTokenId}`,
      `channel:${json<{ id: number }>(channel).id}`,
      `entreprise:${entrepriseId}`,
    ]) {
      assert.ok(!targets.has(hidden), `does not see ${hidden}`);
    }
    assert.deepEqual(
      seen.filter((e) => e.target === `user:${narrowedId}`).map((e) => e.action),
      ['user.rights_changed'],
      'only the change that records no SIREN beyond A',
    );
    assert.ok(!JSON.stringify(seen).includes(sirenB), 'no entry names SIREN B');

    const everything = json<Entry[]>(await call(admin.token, 'GET', '/api/v1/audit?limit=500'));
    const allTargets = new Set(everything.map((e) => e.target));
    for (const target of [
      `siren:${sirenB}`,
      `prm:${movedPrm}`,
      `entreprise:${entrepriseId}`,
      `user:${readerAB.user.id}`,
      `api_token:${readerABTokenId}`,
    ]) {
      assert.ok(allTargets.has(target), `the full-perimeter manager sees ${target}`);
    }

    const paged: Entry[] = [];
    for (let offset = 0; offset < seen.length + 3; offset += 3) {
      paged.push(
        ...json<Entry[]>(await call(manager.token, 'GET', `/api/v1/audit?limit=3&offset=${offset}`)),
      );
    }
    assert.deepEqual(
      paged.map((e) => e.id),
      seen.map((e) => e.id),
    );
    const users = json<Entry[]>(await call(manager.token, 'GET', '/api/v1/audit?action=user.'));
    assert.ok(users.length > 0 && users.every((e) => e.action.startsWith('user.')));
  });

  it('re-sends only publications within the actor perimeter, at the service itself', async () => {
    const service = new DeliveryService(ctx.handle, server.clock);
    const limited = serviceActorOf(manager.user);
    const channelId = (
      await ctx.handle.db
        .selectFrom('channel')
        .select('id')
        .where('label', '=', 'Boîte Bore')
        .executeTakeFirstOrThrow()
    ).id;
    await assert.rejects(service.resend(limited, { publicationId: publicationB, channelId }), {
      code: 'NOT_FOUND',
    });
    assert.equal(await resendsOf(publicationB), 0);
    const api = await call(manager.token, 'POST', `/api/v1/flux/${publicationB}/resend`, { channelId });
    assert.equal(api.statusCode, 404, api.body);
    assert.equal(await resendsOf(publicationB), 0);
    await service.resend(serviceActorOf(admin.user), { publicationId: publicationB, channelId });
    assert.equal(await resendsOf(publicationB), 1, 'the full perimeter reaches B');
  });

  it("keeps the portal home and its re-send action within the user's perimeter", async () => {
    const home = await call(manager.token, 'GET', '/portail');
    assert.equal(home.statusCode, 200);
    assert.ok(home.body.includes('serveur du SIREN A injoignable'), 'A failed delivery listed');
    assert.ok(!home.body.includes('serveur du SIREN B injoignable'), 'B failed delivery not listed');
    assert.ok(!home.body.includes(sirenB));
    assert.ok(!home.body.includes(`/portail/envois/${deliveryB}/renvoyer`));

    const before = await resendsOf(publicationB);
    const refused = await call(manager.token, 'POST', `/portail/envois/${deliveryB}/renvoyer`, 'x=1');
    assert.equal(refused.statusCode, 404, refused.body);
    assert.match(refused.body, /Page introuvable/);
    assert.equal(await resendsOf(publicationB), before, 'nothing re-sent');

    const accepted = await call(manager.token, 'POST', `/portail/envois/${deliveryA}/renvoyer`, 'x=1');
    assert.equal(accepted.statusCode, 303, accepted.body);
    assert.equal(await resendsOf(publicationA), 1);

    const full = await call(admin.token, 'GET', '/portail');
    assert.ok(full.body.includes('serveur du SIREN B injoignable'), 'the full perimeter lists B');
  });

  it('keeps the portal users and journal pages within the manager perimeter', async () => {
    const list = await call(manager.token, 'GET', '/portail/utilisateurs');
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes('lecteur-a@bore.fr'));
    for (const email of ['admin@bore.fr', 'lecteur-ab@bore.fr', 'lecteur-tous@bore.fr']) {
      assert.ok(!list.body.includes(email), `${email} not listed`);
    }
    const fiche = await call(manager.token, 'GET', `/portail/utilisateurs/${admin.user.id}`);
    assert.equal(fiche.statusCode, 404);
    assert.match(fiche.body, /Page introuvable/);
    const deactivate = await call(
      manager.token,
      'POST',
      `/portail/utilisateurs/${admin.user.id}`,
      'habilitation=CONSULTATION&perimetre=tous',
    );
    assert.equal(deactivate.statusCode, 404, deactivate.body);
    const adminNow = json<{ active: boolean; habilitations: string[] }>(
      await call(admin.token, 'GET', `/api/v1/users/${admin.user.id}`),
    );
    assert.equal(adminNow.active, true);
    assert.equal(adminNow.habilitations.length, 3);

    const journal = await call(manager.token, 'GET', '/portail/journal');
    assert.equal(journal.statusCode, 200);
    assert.ok(journal.body.includes(`siren:${sirenA}`));
    assert.ok(!journal.body.includes(sirenB), 'no entry of SIREN B');
    assert.ok(!journal.body.includes(`entreprise:${entrepriseId}`), 'no entreprise-wide entry');
  });
});
