import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Insertable } from 'kysely';
import { ChannelRepository } from '../../src/db/channel.repository.js';
import type { DeliveryTable } from '../../src/db/schema.js';
import { FAILURE_TEXT } from '../../src/delivery/delivery-failure.js';
import { SubscriptionService } from '../../src/subscriptions/subscription.service.js';
import { describeEachEngine } from '../support/databases.js';
import { seedPublication } from '../support/publication-fixtures.js';
import { seedEntreprise } from '../support/registry-fixtures.js';
import { bearer, json, seedUser, startTestServer, type TestServer } from '../support/web.js';

const SIREN = '356000000';
/** 13:00 in Paris (winter time, UTC+1). */
const NOW = '2026-12-03T12:00:00.000Z';
/** The first attempt, 09:00 in Paris the day before: retries end 72 h later, 05/12 at 09:00. */
const FIRST_ATTEMPT = '2026-12-02T08:00:00.000Z';
const NEXT_ATTEMPT = '2026-12-03T13:05:00.000Z';
const RETRYING_TEXT =
  'Nouvel essai le 03/12/2026 à 14h05 (2 essais, dernier : connexion refusée ou serveur injoignable ; ' +
  'abandon le 05/12/2026 à 09h00 si l&#39;erreur persiste)';

interface DeliveryBody {
  id: number;
  status: string;
  attempts: number;
  firstAttemptAt: string | null;
  nextAttemptAt: string;
  giveUpAt: string | null;
  lastError: string | null;
}

describeEachEngine('a delivery retried after failures, as the customer sees it', (ctx) => {
  let server: TestServer;
  let manager: Record<string, string>;
  let reader: Record<string, string>;
  const publications: Record<'retrying' | 'never' | 'delivered', { id: number; name: string }> = {
    retrying: { id: 0, name: '' },
    never: { id: 0, name: '' },
    delivered: { id: 0, name: '' },
  };
  const deliveries = { retrying: 0, never: 0, delivered: 0 };

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Reprise SA', siren: SIREN, prms: 1 });
    server = await startTestServer(ctx.handle, NOW);
    const managerUser = await seedUser(ctx.handle, {
      entreprise: 'Reprise SA',
      email: 'gestion@reprise.fr',
      habilitations: ['GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    });
    manager = bearer(managerUser.token);
    reader = bearer(
      (
        await seedUser(ctx.handle, {
          entreprise: 'Reprise SA',
          email: 'lecture@reprise.fr',
          habilitations: ['CONSULTATION'],
        })
      ).token,
    );
    const entrepriseId = managerUser.user.entrepriseId;
    const changes = await new SubscriptionService(ctx.handle.db).applyGrid(
      { entrepriseId, siren: SIREN, category: 'B' },
      (['Q', 'H', 'M'] as const).map((frequency) => ({
        dataType: 'INDEX' as const,
        frequency,
        subscribed: true,
        format: 'CSV' as const,
      })),
      { type: 'user', id: String(managerUser.user.id), label: 'gestion@reprise.fr' },
      new Date('2026-01-02T00:00:00Z'),
    );
    const channelId = await new ChannelRepository(ctx.handle.db).insert({
      entreprise_id: entrepriseId,
      kind: 'sftp',
      label: 'Serveur SFTP Reprise',
      host: 'sftp.reprise.example',
      port: 22,
      username: 'depot',
      remote_dir: '/depot',
      auth_kind: 'password',
      allow_self_signed: 0,
      insecure_acknowledged: 0,
      status: 'ACTIF',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    const names = ['retrying', 'never', 'delivered'] as const;
    for (const [i, key] of names.entries()) {
      const id = await seedPublication(ctx.handle, changes[i]!.subscription.id, entrepriseId);
      const row = await ctx.handle.db
        .selectFrom('publication')
        .select('archive_name')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      publications[key] = { id, name: row.archive_name };
    }
    // The rows as the dispatcher leaves them (delivery.repository.ts: claimDue, markRetry, markDelivered).
    const insert = async (row: Partial<Insertable<DeliveryTable>> & { publication_id: number }) =>
      (
        await ctx.handle.db
          .insertInto('delivery')
          .values({
            channel_id: channelId,
            entreprise_id: entrepriseId,
            resend_seq: 0,
            status: 'pending',
            attempts: 0,
            next_attempt_at: NOW,
            created_at: '2026-12-02T07:59:00.000Z',
            ...row,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    deliveries.retrying = await insert({
      publication_id: publications.retrying.id,
      attempts: 2,
      first_attempt_at: FIRST_ATTEMPT,
      next_attempt_at: NEXT_ATTEMPT,
      last_error: FAILURE_TEXT.unreachable,
      key_version: 1,
    });
    deliveries.never = await insert({ publication_id: publications.never.id });
    deliveries.delivered = await insert({
      publication_id: publications.delivered.id,
      status: 'delivered',
      attempts: 3,
      first_attempt_at: FIRST_ATTEMPT,
      next_attempt_at: '2026-12-02T08:03:00.000Z',
      delivered_at: '2026-12-02T08:03:02.000Z',
      key_version: 1,
      receipt: JSON.stringify({ location: '/depot/fichier.zip', size: 100 }),
    });
  });
  after(() => server.app.close());

  const get = async (url: string, headers = reader) => {
    const response = await server.app.inject({ method: 'GET', url, headers });
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    return response;
  };

  /** The table row (`<tr>…</tr>`) of a page that names the publication's file. */
  const rowOf = (html: string, publication: { name: string }) => {
    const row = html.split('<tr>').find((r) => r.includes(publication.name));
    assert.ok(row, `a row for ${publication.name}`);
    return row.split('</tr>')[0]!;
  };

  it('gives the API the attempts, last error, next attempt and end of retries of a retrying delivery', async () => {
    const one = json<DeliveryBody>(await get(`/api/v1/deliveries/${deliveries.retrying}`));
    assert.deepEqual(
      {
        status: one.status,
        attempts: one.attempts,
        lastError: one.lastError,
        firstAttemptAt: one.firstAttemptAt,
        nextAttemptAt: one.nextAttemptAt,
        giveUpAt: one.giveUpAt,
      },
      {
        status: 'pending',
        attempts: 2,
        lastError: 'connexion refusée ou serveur injoignable',
        firstAttemptAt: FIRST_ATTEMPT,
        nextAttemptAt: NEXT_ATTEMPT,
        giveUpAt: '2026-12-05T08:00:00.000Z',
      },
    );
    const listed = json<DeliveryBody[]>(await get('/api/v1/deliveries'));
    assert.equal(listed.find((d) => d.id === deliveries.retrying)?.giveUpAt, '2026-12-05T08:00:00.000Z');
    const retrying = json<DeliveryBody[]>(await get('/api/v1/deliveries?retrying=true'));
    assert.deepEqual(
      retrying.map((d) => d.id),
      [deliveries.retrying],
    );

    const flux = json<{ deliveries: DeliveryBody[] }>(await get(`/api/v1/flux/${publications.retrying.id}`));
    assert.deepEqual(
      flux.deliveries.map((d) => [d.attempts, d.lastError, d.nextAttemptAt, d.giveUpAt]),
      [[2, 'connexion refusée ou serveur injoignable', NEXT_ATTEMPT, '2026-12-05T08:00:00.000Z']],
    );
    const document = json<{
      paths: Record<
        string,
        { get: { responses: { 200: { content: Record<string, { schema: unknown }> } } } }
      >;
    }>(await get('/api/openapi.json'));
    for (const path of ['/api/v1/deliveries/{id}', '/api/v1/flux/{id}']) {
      const schema = JSON.stringify(document.paths[path]!.get.responses[200].content['application/json']);
      assert.match(schema, /"giveUpAt"/, `${path} documents giveUpAt`);
    }
  });

  it('gives no error nor end of retries for a delivery never tried or delivered', async () => {
    for (const id of [deliveries.never, deliveries.delivered]) {
      const one = json<DeliveryBody>(await get(`/api/v1/deliveries/${id}`));
      assert.equal(one.lastError, null);
      assert.equal(one.giveUpAt, null);
    }
    const never = json<{ deliveries: DeliveryBody[] }>(await get(`/api/v1/flux/${publications.never.id}`));
    assert.deepEqual(
      never.deliveries.map((d) => [d.status, d.attempts, d.lastError, d.giveUpAt]),
      [['pending', 0, null, null]],
    );
  });

  it('tells the portal why a delivery waits and until when, on the home page and in the flux search', async () => {
    const home = (await get('/portail', manager)).body;
    assert.ok(rowOf(home, publications.retrying).includes(RETRYING_TEXT), 'latest publications');
    const section = (home.split("<h2>Envois en attente d'un nouvel essai</h2>")[1] ?? '').split(
      '</section>',
    )[0]!;
    assert.ok(section.includes(RETRYING_TEXT), 'the retrying deliveries section');
    assert.ok(section.includes('Serveur SFTP Reprise'));

    const flux = (await get('/portail/flux?recherche=1')).body;
    assert.ok(rowOf(flux, publications.retrying).includes(RETRYING_TEXT), 'flux search');

    const forReader = (await get('/portail')).body;
    assert.ok(rowOf(forReader, publications.retrying).includes(RETRYING_TEXT), 'any user sees the status');
  });

  it('shows no error nor next attempt for a delivery never tried or delivered', async () => {
    for (const url of ['/portail', '/portail/flux?recherche=1']) {
      const html = (await get(url, manager)).body;
      for (const publication of [publications.never, publications.delivered]) {
        const row = rowOf(html, publication);
        assert.doesNotMatch(row, /essai|dernier :|abandon|injoignable/, `${url}: ${publication.name}`);
      }
    }
  });

  it('says the attempt is imminent once its time has passed, with the fake clock', async () => {
    server.clock.set('2026-12-03T13:06:00.000Z');
    const flux = (await get('/portail/flux?recherche=1')).body;
    assert.match(
      rowOf(flux, publications.retrying),
      /Nouvel essai imminent \(2 essais, dernier : connexion refusée ou serveur injoignable ; abandon le 05\/12\/2026 à 09h00/,
    );
    server.clock.set(NOW);
  });
});
