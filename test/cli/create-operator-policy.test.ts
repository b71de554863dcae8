import assert from 'node:assert/strict';
import { it } from 'node:test';
import { OperatorRepository } from '../../src/db/operator.repository.js';
import { cliEnv, runCli } from '../support/cli.js';
import { describeEachEngine } from '../support/databases.js';

describeEachEngine('create-operator: password policy and address rule', (ctx) => {
  it('refuses a guessable password, or one made of the operator’s address, and creates nothing', async () => {
    const env = cliEnv({ PUBLIWATT_DATABASE_URL: ctx.url });
    for (const password of ['            ', 'ops.reseau@distributeur.fr']) {
      const weak = await runCli(
        ['create-operator', 'ops.reseau@distributeur.fr', '--password-stdin'],
        env,
        `${password}\n`,
      );
      assert.notEqual(weak.code, 0, JSON.stringify(password));
      assert.match(weak.stderr, /^publiwatt: WEAK_PASSWORD: the password is too easy to guess/);
    }
    assert.equal(
      await new OperatorRepository(ctx.handle.db).findByEmail('ops.reseau@distributeur.fr'),
      undefined,
    );
  });

  it('refuses a list of addresses', async () => {
    const env = cliEnv({ PUBLIWATT_DATABASE_URL: ctx.url });
    const list = await runCli(['create-operator', 'a@x.fr, evil@y.fr'], env, '');
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /^publiwatt: INVALID_EMAIL: "a@x.fr, evil@y.fr" is not an e-mail address/);
  });
});
