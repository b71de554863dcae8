import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { DeliveryRepository } from '../../src/db/delivery.repository.js';
import { SubscriptionService } from '../../src/subscriptions/subscription.service.js';
import { describeEachEngine } from '../support/databases.js';
import { seedEntreprise } from '../support/registry-fixtures.js';
import {
  bearer,
  confirmByLink,
  json,
  seedOperator,
  seedUser,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
} from '../support/web.js';

const SIREN = '356000000';
const HOUR = 3600_000;

interface Delivery {
  id: number;
  publicationId: number;
  status: string;
  attempts: number;
  lastError: string | null;
  keyVersion: number | null;
  channel: { id: number; label: string; kind: string };
  receipt: { location: string; size: number } | null;
  entrepriseId?: number;
}

describeEachEngine('publication settings, encryption key and deliveries over the REST API', (ctx) => {
  let server: TestServer;
  let manager: Record<string, string>;
  let reader: Record<string, string>;
  let operator: Record<string, string>;
  let entrepriseId: number;
  let subscriptionId: number;
  let activeChannel: number;
  let inactiveChannel: number;

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Publi SA', siren: SIREN, prms: 2 });
    server = await startTestServer(ctx.handle);
    const managerUser = await seedUser(ctx.handle, {
      entreprise: 'Publi SA',
      email: 'gestion@publi.fr',
      habilitations: ['GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    });
    entrepriseId = managerUser.user.entrepriseId;
    manager = bearer(managerUser.token);
    reader = bearer(
      (
        await seedUser(ctx.handle, {
          entreprise: 'Publi SA',
          email: 'lecture@publi.fr',
          habilitations: ['CONSULTATION'],
        })
      ).token,
    );
    operator = bearer(await seedOperator(ctx.handle, 'exploitation@distributeur.fr'));
    const [change] = await new SubscriptionService(ctx.handle.db).applyGrid(
      { entrepriseId, siren: SIREN, category: 'B' },
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      { type: 'user', id: String(managerUser.user.id), label: 'gestion@publi.fr' },
      server.clock.now(),
    );
    subscriptionId = change!.subscription.id;
    const create = async (email: string) =>
      json<{ id: number }>(
        await server.app.inject({
          method: 'POST',
          url: '/api/v1/channels',
          headers: manager,
          payload: { kind: 'email', label: email, email },
        }),
      ).id;
    activeChannel = await create('actif@publi.fr');
    inactiveChannel = await create('inactif@publi.fr');
    const token = /jeton=([\w-]+)/.exec(server.mailer.sent.find((m) => m.to === 'actif@publi.fr')!.text)![1]!;
    assert.equal((await confirmByLink(server.app, token)).statusCode, 200);
  });
  after(() => server.app.close());

  const settingsUrl = () => `/api/v1/subscriptions/${subscriptionId}/channels`;

  it('refuses to choose channels before the 72 h, with the French reason', async () => {
    server.clock.advance(71 * HOUR);
    const response = await server.app.inject({
      method: 'PUT',
      url: settingsUrl(),
      headers: manager,
      payload: { channelIds: [activeChannel] },
    });
    assert.equal(response.statusCode, 409);
    const body = json<{ code: string; message: string }>(response);
    assert.equal(body.code, 'SUBSCRIPTION_NOT_YET_EFFECTIVE');
    assert.match(body.message, /en cours de prise en compte : il sera effectif le \d\d\/\d\d\/2026/);
  });

  it('associates active channels once effective; the grid shows them; inactive ones are refused', async () => {
    server.clock.advance(1 * HOUR);
    const inactive = await server.app.inject({
      method: 'PUT',
      url: settingsUrl(),
      headers: manager,
      payload: { channelIds: [activeChannel, inactiveChannel] },
    });
    assert.equal(inactive.statusCode, 400);
    assert.equal(json<{ code: string }>(inactive).code, 'CHANNEL_INVALID');

    const consultation = await server.app.inject({
      method: 'PUT',
      url: settingsUrl(),
      headers: reader,
      payload: { channelIds: [activeChannel] },
    });
    assert.equal(consultation.statusCode, 403);

    const saved = await server.app.inject({
      method: 'PUT',
      url: settingsUrl(),
      headers: manager,
      payload: { channelIds: [activeChannel] },
    });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.deepEqual(
      json<{ channels: Array<{ id: number }> }>(saved).channels.map((c) => c.id),
      [activeChannel],
    );
    const read = await server.app.inject({ method: 'GET', url: settingsUrl(), headers: reader });
    assert.deepEqual(json<{ channels: Array<{ id: number; label: string }> }>(read).channels, [
      { id: activeChannel, label: 'actif@publi.fr', kind: 'email', status: 'ACTIF' },
    ]);
    const grid = await server.app.inject({
      method: 'GET',
      url: `/api/v1/sirens/${SIREN}/subscriptions/B`,
      headers: reader,
    });
    const line = json<{ lines: Array<{ subscriptionId: number | null; channels: unknown[] }> }>(
      grid,
    ).lines.find((l) => l.subscriptionId === subscriptionId);
    assert.deepEqual(line?.channels, [{ id: activeChannel, label: 'actif@publi.fr' }]);
    const audit = await new AuditRepository(ctx.handle.db).listForEntreprise(entrepriseId, {
      action: 'subscription.channels',
    });
    assert.equal(audit.length, 1);
  });

  it('shows key metadata to any user, the key only after the password, and audits refusals', async () => {
    const metadata = json<{ version: number; ageDays: number; createdAt: string }>(
      await server.app.inject({ method: 'GET', url: '/api/v1/encryption-key', headers: reader }),
    );
    assert.equal(metadata.version, 1);
    assert.equal(metadata.ageDays, 0);
    assert.ok(!JSON.stringify(metadata).match(/[0-9a-f]{64}/), 'metadata carry no key');

    const wrong = await server.app.inject({
      method: 'POST',
      url: '/api/v1/encryption-key/reveal',
      headers: manager,
      payload: { password: 'not-my-password' },
    });
    assert.equal(wrong.statusCode, 403);
    assert.equal(json<{ code: string }>(wrong).code, 'PASSWORD_CONFIRMATION_FAILED');
    assert.doesNotMatch(wrong.body, /[0-9a-f]{64}/);
    const byReader = await server.app.inject({
      method: 'POST',
      url: '/api/v1/encryption-key/reveal',
      headers: reader,
      payload: { password: TEST_PASSWORD },
    });
    assert.equal(byReader.statusCode, 403, 'CONSULTATION does not see the key');

    const revealed = json<{ version: number; key: string }>(
      await server.app.inject({
        method: 'POST',
        url: '/api/v1/encryption-key/reveal',
        headers: manager,
        payload: { password: TEST_PASSWORD },
      }),
    );
    assert.equal(revealed.version, 1);
    assert.match(revealed.key, /^[0-9a-f]{64}$/);
    const actions = (
      await new AuditRepository(ctx.handle.db).listForEntreprise(entrepriseId, { action: 'encryption-key' })
    ).map((a) => a.action);
    assert.ok(actions.includes('encryption-key.reveal-refused'));
    assert.ok(actions.includes('encryption-key.revealed'));

    server.clock.advance(3 * 24 * HOUR);
    const rotated = await server.app.inject({
      method: 'POST',
      url: '/api/v1/encryption-key/rotate',
      headers: manager,
    });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const after = json<{ version: number; ageDays: number; versions: Array<{ retiredAt: string | null }> }>(
      rotated,
    );
    assert.equal(after.version, 2);
    assert.equal(after.ageDays, 0);
    assert.equal(after.versions.length, 2);
    assert.ok(after.versions[1]!.retiredAt, 'version 1 is retired');
    const old = json<{ version: number; key: string }>(
      await server.app.inject({
        method: 'POST',
        url: '/api/v1/encryption-key/reveal',
        headers: manager,
        payload: { password: TEST_PASSWORD, version: 1 },
      }),
    );
    assert.equal(old.key, revealed.key, 'files sent before the rotation stay decryptable');
    const byReaderRotate = await server.app.inject({
      method: 'POST',
      url: '/api/v1/encryption-key/rotate',
      headers: reader,
    });
    assert.equal(byReaderRotate.statusCode, 403);
  });

  it('lists deliveries with filters, shows one with its attempts and error, and all of them to operators', async () => {
    const repository = new DeliveryRepository(ctx.handle.db);
    const now = server.clock.now();
    await repository.createForPublication(501, entrepriseId, [activeChannel], now);
    await repository.createForPublication(502, entrepriseId, [activeChannel], now);
    const [claimedA, claimedB] = await repository.claimDue('w', now, new Date(now.getTime() + HOUR), 10);
    await repository.markFailed(claimedA!.id, 'w', 'connection refused', 2);
    await repository.markDelivered(
      claimedB!.id,
      'w',
      { keyVersion: 2, receipt: { location: 'actif@publi.fr', size: 1234, attached: true } },
      now,
    );

    const all = json<Delivery[]>(
      await server.app.inject({ method: 'GET', url: '/api/v1/deliveries', headers: reader }),
    );
    assert.equal(all.length, 2);
    const failed = json<Delivery[]>(
      await server.app.inject({ method: 'GET', url: '/api/v1/deliveries?status=failed', headers: reader }),
    );
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.id, claimedA!.id);
    const byPublication = json<Delivery[]>(
      await server.app.inject({
        method: 'GET',
        url: '/api/v1/deliveries?publicationId=502',
        headers: reader,
      }),
    );
    assert.deepEqual(
      byPublication.map((d) => d.id),
      [claimedB!.id],
    );

    const one = json<Delivery>(
      await server.app.inject({ method: 'GET', url: `/api/v1/deliveries/${claimedA!.id}`, headers: reader }),
    );
    assert.equal(one.status, 'failed');
    assert.equal(one.attempts, 1);
    assert.equal(one.lastError, 'connection refused');
    assert.equal(one.keyVersion, 2);
    assert.deepEqual(one.channel, { id: activeChannel, label: 'actif@publi.fr', kind: 'email' });
    const delivered = json<Delivery>(
      await server.app.inject({ method: 'GET', url: `/api/v1/deliveries/${claimedB!.id}`, headers: reader }),
    );
    assert.deepEqual(delivered.receipt, { location: 'actif@publi.fr', size: 1234, attached: true });
    const bad = await server.app.inject({
      method: 'GET',
      url: '/api/v1/deliveries?status=lost',
      headers: reader,
    });
    assert.equal(bad.statusCode, 400);

    const forOperator = await server.app.inject({
      method: 'GET',
      url: `/api/v1/operator/deliveries?status=failed&entrepriseId=${entrepriseId}`,
      headers: operator,
    });
    assert.equal(forOperator.statusCode, 200);
    assert.deepEqual(
      json<Delivery[]>(forOperator).map((d) => [d.id, d.entrepriseId]),
      [[claimedA!.id, entrepriseId]],
    );
    const customer = await server.app.inject({
      method: 'GET',
      url: '/api/v1/operator/deliveries',
      headers: reader,
    });
    assert.equal(customer.statusCode, 403);
    const operatorOnCustomerRoute = await server.app.inject({
      method: 'GET',
      url: '/api/v1/deliveries',
      headers: operator,
    });
    assert.equal(operatorOnCustomerRoute.statusCode, 403);
  });
});
