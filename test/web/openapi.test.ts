import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachEngine } from '../support/databases.js';
import { json, startTestServer, type TestServer } from '../support/web.js';

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, unknown> };
};

describeEachEngine('OpenAPI document', (ctx) => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(ctx.handle);
  });
  after(() => server.app.close());

  it('describes every /api/v1 route from the route schemas', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(response.statusCode, 200);
    const doc = json<OpenApi>(response);
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.components.securitySchemes.bearer);
    for (const route of server.app.registeredRoutes.filter((r) => r.url.startsWith('/api/v1/'))) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      assert.ok(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path} is documented`);
    }
    const put = doc.paths['/api/v1/sirens/{siren}/subscriptions/{category}']!.put!;
    assert.ok(put.requestBody, 'the grid body schema comes from the route definition');
    assert.ok(put.responses['422'], 'the 100-PRM error is documented');
    assert.equal(doc.paths['/login'], undefined, 'HTML pages are not API');
  });

  it('answers unknown routes and invalid bodies with { code, message } in French', async () => {
    const unknown = await server.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    assert.deepEqual(json(unknown), { code: 'NOT_FOUND', message: 'Ressource introuvable.' });
    const invalid = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 1 },
    });
    assert.equal(invalid.statusCode, 400);
    assert.equal(json<{ code: string }>(invalid).code, 'INVALID_INPUT');
  });
});
