import assert from 'node:assert/strict';
import { it } from 'node:test';
import { cliEnv, runCli } from '../support/cli.js';
import { describeEachEngine } from '../support/databases.js';
import { bearer, startTestServer } from '../support/web.js';

describeEachEngine('create-operator', (ctx) => {
  it('creates an operator and prints a token (once) that reaches operator routes only', async () => {
    const env = cliEnv({ PUBLIWATT_DATABASE_URL: ctx.url });
    const result = await runCli(['create-operator', 'Ops@Distributeur.fr'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /operator created: ops@distributeur\.fr/);
    const token = /API token \(shown once, keep it secret\): (pwop_\S+)/.exec(result.stdout)![1]!;
    const server = await startTestServer(ctx.handle);
    try {
      const allowed = await server.app.inject({
        method: 'GET',
        url: '/api/v1/operator/entreprises',
        headers: bearer(token),
      });
      assert.equal(allowed.statusCode, 200, allowed.body);
      const customer = await server.app.inject({
        method: 'GET',
        url: '/api/v1/sirens',
        headers: bearer(token),
      });
      assert.equal(customer.statusCode, 403, 'an operator is not a customer user');
    } finally {
      await server.app.close();
    }
    const again = await runCli(
      ['create-operator', 'ops@distributeur.fr', '--password-stdin'],
      env,
      'a-long-operator-password\n',
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /operator exists, new token/);
    const weak = await runCli(
      ['create-operator', 'other@distributeur.fr', '--password-stdin'],
      env,
      'short\n',
    );
    assert.notEqual(weak.code, 0);
    assert.match(weak.stderr, /^publiwatt: WEAK_PASSWORD: /);
    const bad = await runCli(['create-operator', 'not-an-email'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /is not an e-mail address/);
  });
});
