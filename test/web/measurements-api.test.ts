import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, it } from 'node:test';
import yazl from 'yazl';
import { r63Csv, r63Json } from '../../src/bench/r6x-sample-files.js';
import { encryptStream } from '../../src/crypto/customer-cipher.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { PrmRepository } from '../../src/db/prm.repository.js';
import { generatePrmDay } from '../../src/meterdata/generator.js';
import { describeEachEngine } from '../support/databases.js';
import { prmNumber, seedEntreprise } from '../support/registry-fixtures.js';
import { bearer, json, seedOperator, seedUser, startTestServer, type TestServer } from '../support/web.js';

const PRM = prmNumber(1, '300');
const KEY = Buffer.alloc(32, 0x2b);

interface Summary {
  file: string;
  parts: Array<{ flux: string; format: string }>;
  curvePoints: number;
  curveDaysChanged: number;
  bestDaysChanged: number;
}

describeEachEngine('measurement ingestion over the REST API', (ctx) => {
  let server: TestServer;
  let operator: Record<string, string>;
  let customer: Record<string, string>;
  let csv: string;

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Mesures SA', prms: 1, category: 'A', prefix: '300' });
    server = await startTestServer(ctx.handle);
    operator = bearer(await seedOperator(ctx.handle, 'exploitation@distributeur.fr'));
    customer = bearer(
      (
        await seedUser(ctx.handle, {
          entreprise: 'Mesures SA',
          email: 'gestion@mesures.fr',
          habilitations: ['GESTION_SERVICES_DONNEES', 'GESTION_UTILISATEURS', 'CONSULTATION'],
        })
      ).token,
    );
    const prm = (await new PrmRepository(ctx.handle.db).find(PRM))!;
    csv = r63Csv(generatePrmDay(prm, '2026-02-10', 5, true).curves, 'A');
  });
  after(() => server.app.close());

  const post = (payload: string | Buffer, url: string, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url, payload, headers: { ...operator, ...headers } });

  it('imports a posted R63 CSV and answers the summary', async () => {
    const response = await post(csv, '/api/v1/measurements?fileName=r63-fevrier.csv', {
      'content-type': 'text/csv',
    });
    assert.equal(response.statusCode, 200, response.body);
    const summary = json<Summary>(response);
    assert.equal(summary.file, 'r63-fevrier.csv');
    assert.deepEqual(
      summary.parts.map((p) => [p.flux, p.format]),
      [['R63', 'CSV']],
    );
    assert.ok(summary.curvePoints > 0);
    assert.ok(summary.curveDaysChanged > 0);
    const stored = await new MeasurementRepository(ctx.handle.db).readCurves(
      PRM,
      '2026-02-10',
      '2026-02-11',
      {
        stage: 'BRUT',
      },
    );
    assert.ok(stored.length > 0);
  });

  it('changes nothing when the same file is posted again', async () => {
    server.clock.advance(3600_000);
    const again = json<Summary>(
      await post(csv, '/api/v1/measurements', { 'content-type': 'text/csv', 'x-file-name': 'encore.csv' }),
    );
    assert.equal(again.file, 'encore.csv');
    assert.deepEqual([again.curveDaysChanged, again.bestDaysChanged], [0, 0]);
  });

  it('imports a zipped JSON encrypted with the customer key given in a header', async () => {
    const prm = (await new PrmRepository(ctx.handle.db).find(PRM))!;
    const json63 = r63Json(generatePrmDay(prm, '2026-02-11', 6, true).curves, 'A');
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(json63), 'Enedis_R63A_Q_CdC_M0000KY0_00001_20260212.json');
    zip.end();
    const sealed = await buffer(Readable.from([await buffer(zip.outputStream)]).pipe(encryptStream(KEY)));
    const wrongKey = await post(sealed, '/api/v1/measurements', {
      'content-type': 'application/octet-stream',
      'x-encryption-key': '00'.repeat(32),
    });
    assert.equal(wrongKey.statusCode, 400);
    assert.equal(json<{ code: string }>(wrongKey).code, 'DECRYPTION_FAILED');
    const response = await post(sealed, '/api/v1/measurements?fileName=r63.zip.enc', {
      'content-type': 'application/octet-stream',
      'x-encryption-key': KEY.toString('hex'),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(
      json<Summary>(response).parts.map((p) => p.format),
      ['JSON'],
    );
  });

  it('rejects a bad file whole with the line and rule of each error, in French', async () => {
    const bad = csv.replace(new RegExp(PRM, 'g'), '99999999999999');
    const response = await post(bad, '/api/v1/measurements?fileName=inconnu.csv', {
      'content-type': 'text/csv',
    });
    assert.equal(response.statusCode, 400);
    const body = json<{ code: string; message: string; errors: string[] }>(response);
    assert.equal(body.code, 'IMPORT_REJECTED');
    assert.match(body.message, /Le fichier inconnu\.csv a été refusé : \d+ erreur\(s\), aucune mesure/);
    assert.ok(body.errors.length >= 1);
    assert.match(body.errors[0]!, /^inconnu\.csv: line 2 .*unknown PRM 99999999999999/);

    const malformed = await post('{"header": {"siDemandeur": ', '/api/v1/measurements?fileName=m.json', {
      'content-type': 'application/json',
    });
    assert.equal(malformed.statusCode, 400);
    assert.match(json<{ errors: string[] }>(malformed).errors[0]!, /malformed JSON/);

    const empty = await post('', '/api/v1/measurements', { 'content-type': 'text/csv' });
    assert.equal(empty.statusCode, 400);
  });

  it('refuses customer users (403) and bodies above the limit (413)', async () => {
    const refused = await server.app.inject({
      method: 'POST',
      url: '/api/v1/measurements',
      payload: csv,
      headers: { ...customer, 'content-type': 'text/csv' },
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(json<{ code: string }>(refused).code, 'OPERATOR_ONLY');

    const small = await startTestServerWithLimit(1024);
    try {
      const tooLarge = await small.app.inject({
        method: 'POST',
        url: '/api/v1/measurements',
        payload: csv,
        headers: { ...operator, 'content-type': 'text/csv' },
      });
      assert.equal(tooLarge.statusCode, 413);
      assert.equal(json<{ code: string }>(tooLarge).code, 'UPLOAD_TOO_LARGE');
      const chunked = await small.app.inject({
        method: 'POST',
        url: '/api/v1/measurements',
        payload: Readable.from([Buffer.from(csv)]),
        headers: { ...operator, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
      });
      assert.equal(chunked.statusCode, 413, chunked.body);
    } finally {
      await small.app.close();
    }
  });

  it('streams a real HTTP upload into the import, and answers 413 (not a reset) above the limit', async () => {
    const small = await startTestServerWithLimit(Buffer.byteLength(csv) + 1024);
    try {
      const base = await small.app.listen({ port: 0, host: '127.0.0.1' });
      const chunked = (text: string, times: number) =>
        Readable.toWeb(
          Readable.from(
            (function* () {
              for (let i = 0; i < times; i++) yield Buffer.from(text);
            })(),
          ),
        ) as ReadableStream;
      const ok = await fetch(`${base}/api/v1/measurements?fileName=http.csv`, {
        method: 'POST',
        headers: { ...operator, 'content-type': 'text/csv' },
        body: chunked(csv, 1),
        duplex: 'half',
      } as RequestInit);
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal(((await ok.json()) as Summary).curveDaysChanged, 0, 'already imported');
      const tooLarge = await fetch(`${base}/api/v1/measurements`, {
        method: 'POST',
        headers: { ...operator, 'content-type': 'text/csv' },
        body: chunked(csv, 3),
        duplex: 'half',
      } as RequestInit);
      assert.equal(tooLarge.status, 413);
      const refusal = (await tooLarge.json()) as { code: string; message: string };
      assert.equal(refusal.code, 'UPLOAD_TOO_LARGE');
      assert.match(refusal.message, /taille maximale acceptée \(\d+ Ko\)/);
    } finally {
      await small.app.close();
    }
  });

  async function startTestServerWithLimit(limit: number): Promise<TestServer> {
    return startTestServer(ctx.handle, undefined, { uploadLimitBytes: limit });
  }
});
