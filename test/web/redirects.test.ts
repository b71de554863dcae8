import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SubscriptionService } from '../../src/subscriptions/subscription.service.js';
import { describeEachEngine } from '../support/databases.js';
import { seedEmailChannel, seedPublication } from '../support/publication-fixtures.js';
import { seedEntreprise } from '../support/registry-fixtures.js';
import { loginSession, seedUser, startTestServer, type TestServer } from '../support/web.js';

const HOST = 'portail.example';
const DEFAULT_BACK = '/portail/flux?recherche=1&renvoi=ok';

describeEachEngine('redirects built from request input', (ctx) => {
  let server: TestServer;
  let session: { cookie: string; csrfToken: string };
  let publicationId: number;
  let channelId: number;

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Xenon SA', siren: '356000000', prms: 1, prefix: '111' });
    server = await startTestServer(ctx.handle);
    const { user } = await seedUser(ctx.handle, {
      entreprise: 'Xenon SA',
      email: 'x@xenon.fr',
      habilitations: ['GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    });
    const [change] = await new SubscriptionService(ctx.handle.db).applyGrid(
      { entrepriseId: user.entrepriseId, siren: '356000000', category: 'B' },
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      { type: 'user', id: String(user.id), label: user.email },
      server.clock.now(),
    );
    publicationId = await seedPublication(ctx.handle, change!.subscription.id, user.entrepriseId);
    channelId = await seedEmailChannel(ctx.handle.db, user.entrepriseId, 'flux@xenon.fr', 'Boîte Xenon');
    session = await loginSession(server.app, 'x@xenon.fr');
  });
  after(() => server.app.close());

  /** Re-sends a file from « Recherche de flux » with this Referer; returns where the portal sends the browser. */
  async function resendFrom(referer: string): Promise<string> {
    const response = await server.app.inject({
      method: 'POST',
      url: `/portail/flux/${publicationId}/renvoi`,
      headers: {
        host: HOST,
        referer,
        cookie: session.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `_csrf=${encodeURIComponent(session.csrfToken)}&channelId=${channelId}`,
    });
    assert.equal(response.statusCode, 303, response.body);
    return String(response.headers.location);
  }

  it('goes back to the search the re-send came from, with its criteria', async () => {
    assert.equal(
      await resendFrom(`http://${HOST}/portail/flux?recherche=1&siren=356000000&page=2`),
      '/portail/flux?recherche=1&siren=356000000&page=2&renvoi=ok',
    );
  });

  it('never leaves the portal, whatever the Referer says', async () => {
    const wrong: string[] = [];
    for (const referer of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example',
      '//evil.example/portail/flux',
      'https://evil.example/portail/flux?recherche=1',
      `http://${HOST}//evil.example/portail/flux`,
      `http://${HOST}/\\evil.example/portail/flux`,
      `http://${HOST}/%2F%2Fevil.example/portail/flux`,
      `http://${HOST}/portail/flux/../..//evil.example/portail/flux`,
      'javascript:alert(1)//portail/flux',
      `http://${HOST}/portail/compteurs`,
      '',
    ]) {
      const location = await resendFrom(referer);
      if (location !== DEFAULT_BACK) wrong.push(`Referer ${JSON.stringify(referer)} → ${location}`);
    }
    assert.deepEqual(wrong, [], 'each goes to the search page, never elsewhere');
  });
});
