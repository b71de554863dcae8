import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { MeasurementRepository, type CurveDay } from '../../src/db/measurement.repository.js';
import { PrmRepository } from '../../src/db/prm.repository.js';
import { packQuality } from '../../src/domain/point-quality.js';
import { describeEachEngine } from '../support/databases.js';
import { prmNumber, seedEntreprise } from '../support/registry-fixtures.js';
import { bearer, json, seedUser, startTestServer, type TestServer } from '../support/web.js';

interface Body {
  raw: { t: number[]; w: Array<number | null>; n: Array<string | null> };
  corrected: { t: number[] };
  index: unknown[];
}

function curveDay(prm: string, day: string, nature: 'B' | 'E', stage: 'BRUT' | 'BEST' = 'BRUT'): CurveDay {
  const values = new Int32Array(48).fill(1500);
  const qualities = new Uint16Array(48).fill(packQuality({ n: 'B' }));
  if (nature === 'E') qualities[0] = packQuality({ n: 'E', tc: 'C' });
  return { prm, day, quantity: 'PA', stage, stepMinutes: 30, values, qualities };
}

describeEachEngine('PRM measurements endpoint', (ctx) => {
  let server: TestServer;
  let token: string;
  const prm = prmNumber(1, '777');

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Mesures SA', siren: '356000000', prms: 1, prefix: '777' });
    const [attachment] = await new PrmRepository(ctx.handle.db).attachmentsOf(prm);
    // The site changed owner on 2026-02-10: this entreprise sees the days before only.
    await new PrmRepository(ctx.handle.db).setAttachmentEnd(attachment!.id, '2026-02-10');
    await new MeasurementRepository(ctx.handle.db).upsertCurveDays(
      [curveDay(prm, '2026-02-09', 'B'), curveDay(prm, '2026-02-10', 'B')],
      new Date('2026-02-11T00:00:00Z'),
    );
    server = await startTestServer(ctx.handle);
    token = (
      await seedUser(ctx.handle, {
        entreprise: 'Mesures SA',
        email: 'lecture@mesures.fr',
        habilitations: ['CONSULTATION'],
      })
    ).token;
  });
  after(() => server.app.close());

  it('returns the curve of the days the PRM was attached to the caller, with each point nature', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: `/api/v1/prms/${prm}/measurements?from=2026-02-09&to=2026-02-11`,
      headers: bearer(token),
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = json<Body>(response);
    assert.equal(body.raw.t.length, 48, 'the day after the change of owner is left out');
    assert.equal(body.raw.t[0], Date.parse('2026-02-08T23:00:00Z'), 'Paris midnight');
    assert.deepEqual([...new Set(body.raw.n)], ['B']);
    assert.equal(body.raw.w[0], 1500);
  });

  it('refuses a range longer than 62 days or reversed, and a PRM of nobody it sees', async () => {
    for (const query of ['from=2026-01-01&to=2026-03-05', 'from=2026-02-10&to=2026-02-09']) {
      const response = await server.app.inject({
        method: 'GET',
        url: `/api/v1/prms/${prm}/measurements?${query}`,
        headers: bearer(token),
      });
      assert.equal(response.statusCode, 400, query);
    }
    const foreign = await server.app.inject({
      method: 'GET',
      url: `/api/v1/prms/${prmNumber(2, '777')}/measurements`,
      headers: bearer(token),
    });
    assert.equal(foreign.statusCode, 404);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = json<{ paths: Record<string, unknown> }>(
      await server.app.inject({ method: 'GET', url: '/api/openapi.json' }),
    );
    assert.ok(doc.paths['/api/v1/prms/{prm}/measurements']);
  });
});
