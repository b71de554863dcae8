import assert from 'node:assert/strict';
import { it } from 'node:test';
import { OperatorRepository } from '../../src/db/operator.repository.js';
import { cliEnv, startCli } from '../support/cli.js';
import { describeEachEngine } from '../support/databases.js';

function runWithStdin(args: string[], env: Record<string, string>, input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(input);
  });
}

describeEachEngine('create-operator: password policy and address rule', (ctx) => {
  it('refuses a guessable password, or one made of the operator’s address, and creates nothing', async () => {
    const env = cliEnv({ PUBLIWATT_DATABASE_URL: ctx.url });
    for (const password of ['            ', 'ops.reseau@distributeur.fr']) {
      const weak = await runWithStdin(
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
    const list = await runWithStdin(['create-operator', 'a@x.fr, evil@y.fr'], env, '');
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /^publiwatt: INVALID_EMAIL: "a@x.fr, evil@y.fr" is not an e-mail address/);
  });
});
