import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { describeEachEngine } from '../support/databases.js';
import { prmNumber, registryCsv } from '../support/registry-fixtures.js';
import { bearer, json, seedOperator, startTestServer, type TestServer } from '../support/web.js';

interface Rejection {
  code: string;
  message: string;
  errors: Array<{ line: number; reason: string }>;
  truncated: number;
}

describeEachEngine('registry import over the REST API', (ctx) => {
  let server: TestServer;
  let operator: Record<string, string>;

  before(async () => {
    server = await startTestServer(ctx.handle);
    operator = bearer(await seedOperator(ctx.handle, 'exploitation@distributeur.fr'));
  });
  after(() => server.app.close());

  const post = (payload: string, contentType = 'text/csv') =>
    server.app.inject({
      method: 'POST',
      url: '/api/v1/registry',
      headers: { ...operator, 'content-type': contentType },
      payload,
    });
  const prmCount = async () =>
    Number((await sql<{ n: number }>`select count(*) as n from prm`.execute(ctx.handle.db)).rows[0]!.n);

  it('imports a registry and answers the summary; the same file again changes nothing', async () => {
    const csv = registryCsv([
      { entreprise: 'Alpha SA', prm: '30001000000001' },
      { entreprise: 'Alpha SA', prm: '30001000000002', collection: '2024-06-01' },
    ]);
    const first = await post(csv);
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(json(first), {
      entreprisesCreated: 1,
      sirensCreated: 1,
      prmsCreated: 2,
      prmsUpdated: 0,
      attachmentsCreated: 2,
      attachmentsUpdated: 0,
      collectionPeriodsCreated: 1,
      linesUnchanged: 0,
      subscriptionsSwitchedToJson: 0,
    });
    const again = await post(csv);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(json<{ linesUnchanged: number }>(again).linesUnchanged, 2);
  });

  it('lists every rejected line with its rule, syntax and stored conflicts alike, and imports nothing', async () => {
    const before = await prmCount();
    const response = await post(
      registryCsv([
        { entreprise: 'Alpha SA', prm: '30001000000010' },
        { entreprise: 'Alpha SA', prm: '3000100000011' },
        { entreprise: 'Alpha SA', prm: '30001000000012', segment: 'C3' },
      ]),
    );
    assert.equal(response.statusCode, 400, response.body);
    const body = json<Rejection>(response);
    assert.equal(body.code, 'REGISTRY_IMPORT_REJECTED');
    assert.equal(
      body.message,
      "Le fichier registry.csv a été refusé : 2 ligne(s) en erreur, rien n'a été importé.",
    );
    assert.deepEqual(
      body.errors.map((e) => e.line),
      [3, 4],
    );
    assert.match(body.errors[0]!.reason, /must be exactly 14 digits/);
    assert.match(body.errors[1]!.reason, /C3 is obsolete/);
    assert.equal(body.truncated, 0);

    // Against the store: the SIREN of Alpha SA claimed by another entreprise, on every line that does.
    const conflict = await post(
      registryCsv([
        { entreprise: 'Beta SA', siren: '356000000', prm: '30001000000020' },
        { entreprise: 'Beta SA', siren: '552100554', prm: '30001000000021' },
        { entreprise: 'Beta SA', siren: '356000000', prm: '30001000000022' },
      ]),
    );
    assert.equal(conflict.statusCode, 400, conflict.body);
    assert.deepEqual(json<Rejection>(conflict).errors, [
      { line: 2, reason: 'SIREN 356000000 already belongs to another entreprise' },
      { line: 4, reason: 'SIREN 356000000 already belongs to another entreprise' },
    ]);
    assert.equal(await prmCount(), before);
  });

  it('lists the first 1 000 rejected lines and counts the others', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => ({ prm: prmNumber(i + 1), segment: 'C3' }));
    const response = await post(registryCsv(rows));
    assert.equal(response.statusCode, 400);
    const body = json<Rejection>(response);
    assert.equal(body.errors.length, 1000);
    assert.deepEqual(body.errors[999], { line: 1001, reason: body.errors[999]!.reason });
    assert.equal(body.truncated, 200);
    assert.match(body.message, /1200 ligne\(s\) en erreur/);
  });

  it('refuses a body over 50 MB with 413 UPLOAD_TOO_LARGE', async () => {
    const header = registryCsv([]);
    const response = await post(header + 'x'.repeat(50 * 1024 * 1024 + 1 - header.length));
    assert.equal(response.statusCode, 413, response.body);
    assert.deepEqual(json(response), {
      code: 'UPLOAD_TOO_LARGE',
      message: 'Le fichier dépasse la taille maximale acceptée (50 Mo).',
    });
  });

  it('refuses another media type with 415', async () => {
    const response = await post('{}', 'application/json');
    assert.equal(response.statusCode, 415, response.body);
    assert.equal(json<{ code: string }>(response).code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('documents the rejected lines in the OpenAPI response schema', async () => {
    const doc = json<{
      paths: Record<string, { post: { responses: Record<string, unknown> } }>;
    }>(await server.app.inject({ method: 'GET', url: '/api/openapi.json' }));
    const rejected = JSON.stringify(doc.paths['/api/v1/registry']!.post.responses['400']);
    for (const field of ['"errors"', '"line"', '"reason"', '"truncated"']) {
      assert.ok(rejected.includes(field), `${field} is documented`);
    }
    assert.ok(doc.paths['/api/v1/registry']!.post.responses['413'], 'the size limit is documented');
  });
});
