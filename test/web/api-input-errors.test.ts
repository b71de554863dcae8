import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachEngine } from '../support/databases.js';
import { bearer, json, seedOperator, seedUser, startTestServer, type TestServer } from '../support/web.js';

interface ErrorAnswer {
  code: string;
  message: string;
  errors?: Array<{ field: string; location: string; rule: string; message: string }>;
}

const SIREN = '552100554';

describeEachEngine('REST input errors', (ctx) => {
  let server: TestServer;
  let manager: Record<string, string>;
  let operator: Record<string, string>;

  before(async () => {
    server = await startTestServer(ctx.handle);
    manager = bearer(
      (
        await seedUser(ctx.handle, {
          entreprise: 'Erreurs SA',
          email: 'gestion@erreurs.fr',
          habilitations: ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'],
          sirens: [SIREN],
        })
      ).token,
    );
    operator = bearer(await seedOperator(ctx.handle, 'exploitant@distributeur.fr'));
  });
  after(() => server.app.close());

  /** Asserts a schema refusal naming the field: status, code, first error and the French message. */
  function assertRefused(
    response: LightMyRequestResponse,
    expected: { field: string; location: string; rule: string; name: string },
  ): ErrorAnswer {
    assert.equal(response.statusCode, 400, response.body);
    const answer = json<ErrorAnswer>(response);
    assert.equal(answer.code, 'INVALID_INPUT');
    const first = answer.errors?.[0];
    assert.ok(first, `errors lists the broken rule: ${response.body}`);
    assert.deepEqual(
      { field: first.field, location: first.location, rule: first.rule },
      { field: expected.field, location: expected.location, rule: expected.rule },
    );
    assert.ok(
      answer.message.includes(`« ${expected.name} »`),
      `the message names the field: ${answer.message}`,
    );
    assert.ok(answer.message.includes(first.message), 'the message is made of the errors');
    return answer;
  }

  function gridWith(line: Record<string, unknown>) {
    return server.app.inject({
      method: 'PUT',
      url: `/api/v1/sirens/${SIREN}/subscriptions/A`,
      headers: manager,
      payload: { lines: [line] },
    });
  }

  it('names a missing required field', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: manager,
      payload: { email: 'nouveau@erreurs.fr', habilitations: ['CONSULTATION'] },
    });
    const answer = assertRefused(response, {
      field: '/displayName',
      location: 'body',
      rule: 'required',
      name: 'displayName',
    });
    assert.equal(answer.message, 'Le champ « displayName » (corps de la requête) est obligatoire.');
  });

  it('lists the allowed values of a wrong enum value (a union of literals)', async () => {
    const response = await gridWith({ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'XML' });
    const answer = assertRefused(response, {
      field: '/lines/0/format',
      location: 'body',
      rule: 'enum',
      name: 'lines[0].format',
    });
    assert.equal(
      answer.message,
      "Le champ « lines[0].format » (corps de la requête) doit valoir l'une des valeurs : CSV, JSON.",
    );
    assert.equal(answer.errors?.length, 1, 'one error for the union, not one per literal');
  });

  it('names the discriminator of a union of objects, and the field of the branch meant', async () => {
    const wrongKind = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: manager,
      payload: { kind: 'fax', email: 'canal@erreurs.fr' },
    });
    const kind = assertRefused(wrongKind, { field: '/kind', location: 'body', rule: 'enum', name: 'kind' });
    assert.match(kind.message, /email, sftp, ftps, ftp\.$/);

    const serverWithoutLabel = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: manager,
      payload: { kind: 'sftp', host: 'sftp.erreurs.fr', username: 'depot' },
    });
    assertRefused(serverWithoutLabel, { field: '/label', location: 'body', rule: 'required', name: 'label' });
  });

  it('names a value of the wrong type', async () => {
    const response = await gridWith({ dataType: 'INDEX', frequency: 'Q', subscribed: 'peut-être' });
    const answer = assertRefused(response, {
      field: '/lines/0/subscribed',
      location: 'body',
      rule: 'type',
      name: 'lines[0].subscribed',
    });
    assert.match(answer.message, /doit être un booléen/);
  });

  it('names a query parameter below its minimum', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v1/flux?page=0', headers: manager });
    const answer = assertRefused(response, {
      field: '/page',
      location: 'querystring',
      rule: 'minimum',
      name: 'page',
    });
    assert.equal(
      answer.message,
      "Le champ « page » (paramètres de l'URL) doit être un entier supérieur ou égal à 1.",
    );
  });

  it('names a path parameter that does not match its pattern', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: '/api/v1/sirens/55210/subscriptions/A',
      headers: manager,
    });
    const answer = assertRefused(response, {
      field: '/siren',
      location: 'params',
      rule: 'pattern',
      name: 'siren',
    });
    assert.match(answer.message, /exactement 9 chiffres/);
  });

  it('names a field the schema does not allow', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: manager,
      payload: { kind: 'email', email: 'canal@erreurs.fr', colour: 'bleu' },
    });
    const answer = assertRefused(response, {
      field: '/colour',
      location: 'body',
      rule: 'additionalProperties',
      name: 'colour',
    });
    assert.equal(answer.message, "Le champ « colour » (corps de la requête) n'est pas accepté.");
  });

  it('names a list above its maximum size', async () => {
    const lines = Array.from({ length: 51 }, () => ({
      dataType: 'INDEX',
      frequency: 'Q',
      subscribed: false,
    }));
    const response = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sirens/${SIREN}/subscriptions/A`,
      headers: manager,
      payload: { lines },
    });
    const answer = assertRefused(response, {
      field: '/lines',
      location: 'body',
      rule: 'maxItems',
      name: 'lines',
    });
    assert.match(answer.message, /au plus 50 éléments/);
  });

  it('answers 413 with the limit in MB to a JSON body above the default limit', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: { ...manager, 'content-type': 'application/json' },
      payload: JSON.stringify({ kind: 'email', email: 'canal@erreurs.fr', label: 'x'.repeat(1024 ** 2) }),
    });
    assert.equal(response.statusCode, 413, response.body);
    assert.deepEqual(json(response), {
      code: 'UPLOAD_TOO_LARGE',
      message: 'Le corps de la requête dépasse la taille maximale acceptée (1 Mo).',
    });
  });

  it('answers 413 naming the 50 MB limit to a registry above it, and imports nothing', async () => {
    const header = 'entreprise;siren;prm\n';
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/registry',
      headers: { ...operator, 'content-type': 'text/csv' },
      payload: header + 'x'.repeat(51 * 1024 ** 2),
    });
    assert.equal(response.statusCode, 413, response.body.slice(0, 500));
    assert.deepEqual(json(response), {
      code: 'UPLOAD_TOO_LARGE',
      message: 'Le fichier dépasse la taille maximale acceptée (50 Mo).',
    });
    const entreprises = await server.app.inject({
      method: 'GET',
      url: '/api/v1/operator/entreprises',
      headers: operator,
    });
    assert.deepEqual(
      json<Array<{ name: string }>>(entreprises).map((e) => e.name),
      ['Erreurs SA'],
    );
  });

  it('answers 415 to a body of a type no parser takes', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: { ...manager, 'content-type': 'application/xml' },
      payload: '<canal kind="email"/>',
    });
    assert.equal(response.statusCode, 415);
    assert.deepEqual(json(response), {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Type de contenu non accepté (attendu : application/json).',
    });
  });

  it('answers 400 saying the JSON body is malformed, or empty', async () => {
    const malformed = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: { ...manager, 'content-type': 'application/json' },
      payload: '{"kind": "email", "email": ',
    });
    assert.equal(malformed.statusCode, 400);
    const answer = json<ErrorAnswer>(malformed);
    assert.equal(answer.code, 'INVALID_INPUT');
    assert.match(answer.message, /^Le corps de la requête n'est pas un JSON valide/);

    const empty = await server.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: { ...manager, 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(json(empty), {
      code: 'INVALID_INPUT',
      message: 'Le corps de la requête est vide alors que son type est application/json.',
    });
  });

  it('documents the errors list in the OpenAPI error body', async () => {
    const doc = json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>(await server.app.inject({ method: 'GET', url: '/api/openapi.json' }));
    const refused = JSON.stringify(
      doc.paths['/api/v1/sirens/{siren}/subscriptions/{category}']?.put?.responses['400'],
    );
    for (const name of ['"errors"', '"field"', '"location"', '"rule"']) {
      assert.ok(refused.includes(name), `the 400 answer documents ${name}`);
    }
  });
});
