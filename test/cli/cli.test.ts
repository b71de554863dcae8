import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { cliEnv, runCli, startCli } from '../support/cli.js';
import { registryCsv } from '../support/registry-fixtures.js';

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  return lines[0]!;
}

describe('command line', () => {
  it('rejects bad configuration with one line naming the variable and a non-zero exit', async () => {
    for (const [variable, value] of [
      ['PUBLIWATT_DATABASE_URL', 'mysql://nope'],
      ['PUBLIWATT_MASTER_KEY', 'short'],
      ['PORT', '99999'],
    ] as const) {
      const result = await runCli(['migrate'], cliEnv({ [variable]: value }));
      assert.notEqual(result.code, 0);
      assert.match(oneLine(result.stderr), new RegExp(`^publiwatt: INVALID_CONFIGURATION: ${variable}: `));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('rejects bad arguments with one clear line and a non-zero exit', async () => {
    const unknown = await runCli(['frobnicate']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const port = await runCli(['serve', '--port', 'x']);
    assert.notEqual(port.code, 0);
    assert.match(port.stderr, /"x" is not a TCP port/);
    const missing = await runCli(['import-registry']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /missing required argument 'file'/);
    const absent = await runCli(['import-registry', '/nonexistent/registry.csv']);
    assert.notEqual(absent.code, 0);
    assert.match(oneLine(absent.stderr), /\/nonexistent\/registry\.csv: cannot read \(ENOENT\)/);
  });

  it('prints a stack trace only with --verbose', async () => {
    const env = cliEnv({ PUBLIWATT_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    const quiet = await runCli(['migrate'], env);
    assert.notEqual(quiet.code, 0);
    oneLine(quiet.stderr);
    const verbose = await runCli(['--verbose', 'migrate'], env);
    assert.match(verbose.stderr, /\n\s+at /);
  });

  it('has --help on every command', async () => {
    for (const command of [
      'serve',
      'migrate',
      'seed-demo',
      'import-registry',
      'generate',
      'import',
      'bench',
      'create-operator',
      'decrypt',
    ]) {
      const result = await runCli([command, '--help']);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout, new RegExp(`Usage: publiwatt ${command}`));
    }
  });

  it('import-registry of a file with one bad line imports nothing and names the line', async () => {
    const env = cliEnv();
    const file = path.join(env.PUBLIWATT_DATA_DIR!, 'registry.csv');
    writeFileSync(
      file,
      registryCsv([{ prm: '30001000000001' }, { prm: '3000100000002' }, { prm: '30001000000003' }]),
    );
    const rejected = await runCli(['import-registry', file], env);
    assert.equal(rejected.code, 1);
    assert.match(
      rejected.stderr,
      new RegExp(`^publiwatt: REGISTRY_IMPORT_REJECTED: ${file}: 1 line\\(s\\) rejected, nothing imported`),
    );
    assert.match(rejected.stderr, new RegExp(`${file}:3: PRM "3000100000002" must be exactly 14 digits`));
    writeFileSync(file, registryCsv([{ prm: '30001000000001' }, { prm: '30001000000003' }]));
    const accepted = await runCli(['import-registry', file], env);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /2 PRM\(s\) created/, 'the rejected attempt left nothing behind');
    const again = await runCli(['import-registry', file], env);
    assert.match(
      again.stdout,
      /0 PRM\(s\) created, 0 updated, 0 attachment\(s\) created or changed.*2 line\(s\) unchanged/,
    );
  });

  it('serve --demo answers /healthz and stops cleanly on SIGTERM', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = startCli(['serve', '--demo', '--port', String(port)], cliEnv());
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const deadline = Date.now() + 60_000;
      let body: unknown;
      while (Date.now() < deadline) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          if (response.ok) {
            body = await response.json();
            break;
          }
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      assert.deepEqual(body, { status: 'ok', database: { engine: 'sqlite', reachable: true } }, stderr);
      assert.match(stdout, /admin@demo\.publiwatt\.fr/, 'demo logins are printed');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
  });
});
