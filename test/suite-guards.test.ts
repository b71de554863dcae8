import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';

/** `npm test` itself (scripts/run-tests.mjs) on one file, with `env` added. */
function runSuite(file: string, env: Record<string, string>) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['scripts/run-tests.mjs', file], {
    encoding: 'utf8',
    // Without the marker Node's test runner gives its own child processes, which would run nothing.
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
      ...env,
    },
    timeout: 120_000,
  });
  return { ...result, output: result.stdout + result.stderr, seconds: (Date.now() - started) / 1000 };
}

it('a hanging test fails the run after the time limit', () => {
  const run = runSuite('test/fixtures/runner/hangs.fixture.ts', { PUBLIWATT_TEST_TIMEOUT: '2' });
  assert.notEqual(run.status, 0);
  assert.match(run.output, /timed out after 2000ms/);
  assert.ok(run.seconds < 60, `${run.seconds} s`);
});

it('an unknown engine name fails the run at once, naming it', () => {
  const run = runSuite('test/fixtures/runner/sqlite-only.fixture.ts', {
    PUBLIWATT_TEST_ENGINES: 'postgress',
  });
  assert.equal(run.status, 1);
  assert.match(run.output, /unknown engine "postgress"/);
});

it('an engine asked for that ran no test fails the run; the tests by engine are printed', () => {
  const run = runSuite('test/fixtures/runner/sqlite-only.fixture.ts', {
    PUBLIWATT_TEST_ENGINES: 'sqlite,postgres',
  });
  assert.equal(run.status, 1);
  assert.match(run.output, /sqlite +1 passed, 0 failed, 0 skipped/);
  assert.match(run.output, /no test ran on postgres/);
  const narrowed = runSuite('test/fixtures/runner/sqlite-only.fixture.ts', {
    PUBLIWATT_TEST_ENGINES: 'sqlite',
  });
  assert.equal(narrowed.status, 0, narrowed.output);
  assert.match(narrowed.output, /npm test: 0 min \d+ s/);
});
