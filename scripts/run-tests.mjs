#!/usr/bin/env node
// `npm test`: type-checks, checks the portal's JSX escapes every text (@kitajs/ts-html-plugin), then runs every *.test.ts under src/ and test/ with Node's test runner (tsx).
// Arguments narrow the run: `npm test -- src/domain` runs the files whose path contains "src/domain".
// Each test has a time limit (PUBLIWATT_TEST_TIMEOUT seconds, default 180): a hanging test fails.
// PUBLIWATT_TEST_ENGINES (default "sqlite,postgres") names the engines; an unknown name, or an engine
// asked for that runs no test at all, fails the run. The end prints the tests by engine, the slowest
// files and the time taken.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filters = process.argv.slice(2);
const started = Date.now();

const engines = (process.env.PUBLIWATT_TEST_ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim());
const unknown = engines.filter((e) => e !== 'sqlite' && e !== 'postgres');
if (unknown.length > 0 || engines.length === 0) {
  console.error(
    `PUBLIWATT_TEST_ENGINES: unknown engine ${unknown.map((e) => `"${e}"`).join(', ')}; use sqlite, postgres or both`,
  );
  process.exit(1);
}
const timeoutSeconds = Number(process.env.PUBLIWATT_TEST_TIMEOUT ?? 180);
if (!(timeoutSeconds > 0)) {
  console.error(`PUBLIWATT_TEST_TIMEOUT: "${process.env.PUBLIWATT_TEST_TIMEOUT}" is not a number of seconds`);
  process.exit(1);
}

function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.test\.tsx?$/.test(entry)) out.push(path.relative(root, full));
  }
  return out;
}

// A filter naming an existing file runs that file, whatever its name (the runner's own checks use it).
const named = filters.filter(
  (f) => /\.tsx?$/.test(f) && statSync(path.resolve(root, f), { throwIfNoEntry: false })?.isFile(),
);
const files = [
  ...new Set(
    [...walk(path.join(root, 'src'), []), ...walk(path.join(root, 'test'), [])].filter(
      (f) => filters.length === 0 || filters.some((filter) => f.includes(filter)),
    ),
  ),
]
  .concat(named.filter((f) => !/\.test\.tsx?$/.test(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}

/** Runs a command to its end, its output shown; resolves with its exit status. */
function run(args, label) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('close', (code) => resolve({ label, code }));
  });
}

// A full run checks types and the portal's escaping, and builds dist/ so that the commands the tests
// start run compiled (a second a start less than through tsx); the three run side by side.
const fullRun = filters.length === 0 || process.env.PUBLIWATT_TYPECHECK === '1';
if (fullRun) {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const checks = await Promise.all([
    run([tsc, '-p', 'tsconfig.json', '--noEmit'], 'type check'),
    run([tsc, '-p', 'tsconfig.build.json'], 'build of dist/'),
    // Text put in the portal's HTML unescaped (a forgotten `safe`): exit 1; 2 is only warnings.
    run(
      [path.join(root, 'node_modules/@kitajs/ts-html-plugin/dist/cli.js'), '-p', 'tsconfig.json'],
      'HTML escaping check',
    ),
  ]);
  const failed = checks.filter(
    ({ label, code }) => code !== 0 && !(label === 'HTML escaping check' && code === 2),
  );
  for (const { label } of failed) {
    console.error(
      label === 'HTML escaping check'
        ? 'HTML escaping check failed: put `safe` on the element, or escape the text'
        : `${label} failed`,
    );
  }
  if (failed.length > 0) process.exit(1);
}

const summaryDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-test-summary-'));
const summaryFile = path.join(summaryDir, 'engines.json');
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(root, 'scripts/test-summary-reporter.mjs')}`,
    '--test-reporter-destination=stdout',
    `--test-timeout=${timeoutSeconds * 1000}`,
    `--test-concurrency=${process.env.PUBLIWATT_TEST_CONCURRENCY ?? 2}`,
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PUBLIWATT_TEST_SUMMARY_FILE: summaryFile,
      // dist/ was just built from this source: command tests may start it instead of the source.
      ...(fullRun ? { PUBLIWATT_TEST_CLI: 'dist' } : {}),
    },
  },
);
let status = result.status ?? 1;
let ran = {};
try {
  ran = JSON.parse(readFileSync(summaryFile, 'utf8'));
} catch {
  // no summary: the run itself failed before reporting
}
rmSync(summaryDir, { recursive: true, force: true });
// A full run must exercise every engine asked for; a narrowed one, each engine as soon as one ran.
const anyEngineRan = engines.some((e) => (ran[e]?.passed ?? 0) + (ran[e]?.failed ?? 0) > 0);
for (const engine of engines) {
  const count = (ran[engine]?.passed ?? 0) + (ran[engine]?.failed ?? 0);
  if (count === 0 && (filters.length === 0 || anyEngineRan)) {
    console.error(`no test ran on ${engine}, though PUBLIWATT_TEST_ENGINES asks for it`);
    status = status || 1;
  }
}
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`npm test: ${Math.floor(seconds / 60)} min ${seconds % 60} s`);
process.exit(status);
