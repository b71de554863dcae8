// Test reporter printed after the spec output of `npm test`: the tests each engine ran (an engine that
// was asked for and ran nothing fails the run), and the slowest files.
import { appendFileSync } from 'node:fs';
import path from 'node:path';

const ENGINE = /\[(sqlite|postgres)\]$/;

export default async function* summary(source) {
  // Node reports a file's events together, in order: one stack of the names of the tests started.
  const stack = [];
  const engines = new Map(); // engine -> { passed, failed, skipped }
  const files = new Map(); // test file -> seconds in its tests (hooks aside)
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      stack.length = data.nesting;
      stack.push(data.name);
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    if (data.details?.type === 'suite') continue;
    if (data.file) {
      files.set(data.file, (files.get(data.file) ?? 0) + (data.details?.duration_ms ?? 0) / 1000);
    }
    const names = stack.slice(0, data.nesting + 1);
    const engine = names.map((name) => ENGINE.exec(name)?.[1]).findLast(Boolean) ?? 'no engine';
    const counts = engines.get(engine) ?? { passed: 0, failed: 0, skipped: 0 };
    if (data.skip !== undefined || data.todo !== undefined) counts.skipped++;
    else if (type === 'test:pass') counts.passed++;
    else counts.failed++;
    engines.set(engine, counts);
  }
  const lines = ['', 'tests by engine:'];
  for (const [engine, c] of [...engines].sort()) {
    lines.push(`  ${engine.padEnd(10)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  }
  const slowest = [...files].sort((a, b) => b[1] - a[1]).slice(0, 8);
  lines.push('slowest files (time in their tests, hooks aside):');
  for (const [file, seconds] of slowest) {
    lines.push(`  ${seconds.toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), file)}`);
  }
  // The runner reads which engines ran, to fail a run where an engine asked for ran nothing.
  if (process.env.PUBLIWATT_TEST_SUMMARY_FILE) {
    appendFileSync(process.env.PUBLIWATT_TEST_SUMMARY_FILE, JSON.stringify(Object.fromEntries(engines)));
  }
  yield `${lines.join('\n')}\n`;
}
