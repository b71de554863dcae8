import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, after, it } from 'node:test';
import { ChannelRepository } from '../../src/db/channel.repository.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { searchFlux } from '../../src/publication/archive/flux-search.js';
import { describeEachEngine } from '../support/databases.js';
import {
  ALPHA_SIREN,
  BETA_SIREN,
  fullCurveDay,
  PRM_B1,
  PRM_BETA,
  publicationFile,
  seedPublicationRegistry,
  storeCurves,
  subscribe,
  unzipSingle,
} from '../support/publication-fixtures.js';
import { bearer, json, seedUser, startTestServer, type TestServer } from '../support/web.js';

type Flux = {
  id: number;
  archiveName: string;
  innerName: string;
  frequency: string;
  numSequence: number;
  sha256: string;
};
type Page = { total: number; items: Flux[] };

describeEachEngine('flux search, download, re-send and rebuild over HTTP', (ctx) => {
  let server: TestServer;
  let admin: string;
  let consult: string;
  let beta: string;
  let daily: number;
  let alphaId: number;
  let betaId: number;

  const get = (token: string, url: string) =>
    server.app.inject({ method: 'GET', url, headers: bearer(token) });
  const search = async (query: string, token = admin) => {
    const response = await get(token, `/api/v1/flux${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return json<Page>(response);
  };

  before(async () => {
    const db = ctx.handle.db;
    const seeded = await seedPublicationRegistry(db);
    const alpha = seeded.alpha;
    alphaId = alpha;
    betaId = seeded.beta;
    server = await startTestServer(ctx.handle, '2026-10-20T00:00:00Z');
    const all = ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'] as const;
    admin = (
      await seedUser(ctx.handle, { entreprise: 'Alpha SA', email: 'admin@alpha.fr', habilitations: [...all] })
    ).token;
    consult = (
      await seedUser(ctx.handle, {
        entreprise: 'Alpha SA',
        email: 'lecture@alpha.fr',
        habilitations: ['CONSULTATION'],
      })
    ).token;
    beta = (
      await seedUser(ctx.handle, { entreprise: 'Beta SA', email: 'admin@beta.fr', habilitations: [...all] })
    ).token;
    const effectiveAt = new Date('2026-10-20T00:00:00Z');
    const common = { entrepriseId: alpha, siren: ALPHA_SIREN, category: 'B' as const, effectiveAt };
    daily = await subscribe(db, { ...common, dataType: 'CDC_BRUTE', frequency: 'Q', format: 'CSV' });
    await subscribe(db, { ...common, dataType: 'INDEX', frequency: 'H', format: 'JSON' });
    // Beta publishes too: a search of Alpha's that named Beta's SIREN would have something to find.
    await subscribe(db, {
      entrepriseId: betaId,
      siren: BETA_SIREN,
      category: 'B',
      effectiveAt,
      dataType: 'CDC_BRUTE',
      frequency: 'Q',
      format: 'CSV',
    });
    const collected = new Date('2026-10-21T10:00:00Z');
    await storeCurves(
      db,
      [fullCurveDay(PRM_B1, '2026-10-20', 'B', 30, 10), fullCurveDay(PRM_BETA, '2026-10-20', 'B', 30, 20)],
      collected,
    );
    await new MeasurementRepository(db).upsertIndexReadings(
      [
        { prm: PRM_B1, day: '2026-10-21', register: 'HP', valueWh: 1000, iv: 0 },
        { prm: PRM_B1, day: '2026-10-21', register: 'HC', valueWh: 500, iv: 0 },
      ],
      collected,
    );
    server.clock.set('2026-10-27T00:00:00Z');
    await server.publication.schedule();
    const outcomes = await server.publication.runPending();
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['done', 'done', 'done'],
    );
  });
  after(() => server.app.close());

  it('filters by SIREN, frequency, data type, PRM, contract, exact file name and dates', async () => {
    const all = await search('');
    assert.equal(all.total, 2);
    const q = all.items.find((f) => f.frequency === 'Q')!;
    assert.equal((await search('?frequency=Q')).items[0]?.id, q.id);
    assert.equal((await search('?frequency=H')).total, 1);
    assert.equal((await search('?dataType=INDEX')).total, 1);
    assert.equal((await search('?dataType=CDC_CORRIGEE')).total, 0);
    assert.equal((await search(`?prm=${PRM_B1}`)).total, 2);
    assert.equal((await search('?prm=30002000000002')).total, 0);
    assert.equal((await search('?contract=CTR-B1')).total, 2);
    assert.equal((await search('?contract=CTR-BETA')).total, 0);
    assert.equal((await search(`?fileName=${q.archiveName}`)).items[0]?.id, q.id);
    assert.equal((await search(`?fileName=${q.innerName}`)).items[0]?.id, q.id);
    assert.equal((await search(`?fileName=${q.archiveName.slice(0, -4)}`)).total, 0, 'the name is exact');
    assert.equal((await search('?from=2026-10-27&to=2026-10-27')).total, 2);
    assert.equal((await search('?from=2026-10-28')).total, 0);
    assert.equal((await search('?to=2026-10-26')).total, 0);
    assert.equal((await search(`?siren=${ALPHA_SIREN}`)).total, 2);
    assert.equal((await search(`?siren=${BETA_SIREN}`)).total, 0, "another entreprise's SIREN finds nothing");
    assert.equal((await search(`?siren=${BETA_SIREN}`, beta)).total, 1, 'though it has a file');
    assert.equal((await search('', beta)).total, 1, 'Beta sees its own file, nothing of Alpha');
    assert.equal((await search(`?siren=${ALPHA_SIREN}`, beta)).total, 0);
    const first = await search('?pageSize=1');
    const second = await search('?pageSize=1&page=2');
    assert.equal(first.total, 2);
    assert.notEqual(first.items[0]?.id, second.items[0]?.id);
  });

  it('refuses dates before 09/08/2018 and outside the 4-year window, saying which limit', async () => {
    const before2018 = await get(admin, '/api/v1/flux?from=2018-08-08');
    assert.equal(before2018.statusCode, 400);
    assert.equal(json<{ code: string }>(before2018).code, 'SEARCH_DATE_BEFORE_ARCHIVE');
    assert.match(json<{ message: string }>(before2018).message, /09\/08\/2018/);
    const tooOld = await get(admin, '/api/v1/flux?from=2022-10-26');
    assert.equal(json<{ code: string }>(tooOld).code, 'SEARCH_DATE_OUTSIDE_RETENTION');
    assert.match(json<{ message: string }>(tooOld).message, /4 ans.*27\/10\/2022/);
    assert.equal((await get(admin, '/api/v1/flux?from=2022-10-27')).statusCode, 200);
    const reversed = await get(admin, '/api/v1/flux?from=2026-10-27&to=2026-10-01');
    assert.equal(json<{ code: string }>(reversed).code, 'SEARCH_DATE_RANGE_INVALID');
  });

  it('hides publications older than four years even when no date is given', async () => {
    try {
      server.clock.set('2030-10-27T12:00:00Z');
      assert.equal((await search('')).total, 2, 'published 2026-10-27: the oldest day still in the window');
      server.clock.set('2030-10-28T12:00:00Z');
      assert.equal((await search('')).total, 0, 'one day later it has left the window');
    } finally {
      server.clock.set('2026-10-27T00:00:00Z');
    }
  });

  it("keeps a search within the caller's entreprise even when handed a SIREN of another", async () => {
    const db = ctx.handle.db;
    const own = await searchFlux(db, server.clock, { entrepriseId: alphaId, sirens: [ALPHA_SIREN] }, {});
    assert.equal(own.items.length, 2);
    const foreign = await searchFlux(db, server.clock, { entrepriseId: betaId, sirens: [ALPHA_SIREN] }, {});
    assert.deepEqual(foreign.items, []);
  });

  it('downloads the decrypted zip of a visible file only', async () => {
    const [file] = (await search('?frequency=Q')).items;
    const response = await get(consult, `/api/v1/flux/${file!.id}/file`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/zip');
    assert.match(String(response.headers['content-disposition']), new RegExp(file!.archiveName));
    assert.equal(createHash('sha256').update(response.rawPayload).digest('hex'), file!.sha256);
    const inner = await unzipSingle(response.rawPayload);
    assert.equal(inner.name, file!.innerName);
    assert.match(inner.content.toString(), new RegExp(`^${PRM_B1};`, 'm'));
    assert.equal((await get(beta, `/api/v1/flux/${file!.id}/file`)).statusCode, 404);
    assert.equal((await get(beta, `/api/v1/flux/${file!.id}`)).statusCode, 404);
  });

  it('re-sends an archived file to an active channel, for data managers only', async () => {
    const [file] = (await search('?frequency=Q')).items;
    const now = server.clock.now().toISOString();
    const channelId = await new ChannelRepository(ctx.handle.db).insert({
      entreprise_id: alphaId,
      kind: 'email',
      label: 'Énergie',
      email: 'energie@alpha.fr',
      allow_self_signed: 0,
      insecure_acknowledged: 0,
      status: 'ACTIF',
      confirmed_at: now,
      created_at: now,
      updated_at: now,
    });
    const post = (token: string) =>
      server.app.inject({
        method: 'POST',
        url: `/api/v1/flux/${file!.id}/resend`,
        headers: bearer(token),
        payload: { channelId },
      });
    assert.equal((await post(consult)).statusCode, 403);
    const resent = await post(admin);
    assert.equal(resent.statusCode, 202, resent.body);
    assert.deepEqual(json<{ status: string; resend: boolean; channelId: number }>(resent), {
      ...json<object>(resent),
      status: 'pending',
      resend: true,
      channelId,
    });
    const detail = json<{ deliveries: Array<{ id: number }> }>(await get(admin, `/api/v1/flux/${file!.id}`));
    assert.equal(detail.deliveries.length, 1);
    // A user whose perimeter leaves out Alpha's SIREN sees neither the file nor its deliveries.
    const narrow = (
      await seedUser(ctx.handle, {
        entreprise: 'Alpha SA',
        email: 'perimetre@alpha.fr',
        habilitations: ['CONSULTATION'],
        sirenPerimeter: ['443061841'],
      })
    ).token;
    assert.equal((await search('', narrow)).total, 0);
    assert.deepEqual(json(await get(narrow, '/api/v1/deliveries')), []);
    assert.equal((await get(narrow, `/api/v1/deliveries/${detail.deliveries[0]!.id}`)).statusCode, 404);
    assert.equal(json<unknown[]>(await get(admin, '/api/v1/deliveries')).length, 1);
  });

  it('rebuilds a past window with the same content and the next numSequence', async () => {
    const post = (windowStart: string, token = admin) =>
      server.app.inject({
        method: 'POST',
        url: `/api/v1/subscriptions/${daily}/rebuild`,
        headers: bearer(token),
        payload: { windowStart },
      });
    assert.equal((await post('2026-10-21', consult)).statusCode, 403);
    const rebuilt = await post('2026-10-21');
    assert.equal(rebuilt.statusCode, 201, rebuilt.body);
    const flux = json<Flux>(rebuilt);
    assert.equal(flux.numSequence, 2);
    const original = (await search('?frequency=Q')).items.find((f) => f.numSequence === 1)!;
    const [a, b] = await Promise.all([
      publicationFile(server.publication, original.id),
      publicationFile(server.publication, flux.id),
    ]);
    assert.deepEqual(b.inner.content, a.inner.content, 'same content, byte for byte');
    assert.notEqual(b.inner.name, a.inner.name);
    assert.equal(json<{ code: string }>(await post('2026-10-22')).code, 'WINDOW_HAS_NO_DATA');
    assert.equal(json<{ code: string }>(await post('2026-10-27')).code, 'WINDOW_INVALID', 'not ended');
    assert.equal(
      json<{ code: string }>(await post('2026-10-21T05:00:00Z')).code,
      'WINDOW_INVALID',
      'not a start',
    );
    assert.equal(
      json<{ code: string }>(await post('2026-10-19')).code,
      'WINDOW_INVALID',
      'before the subscription',
    );
  });
});
