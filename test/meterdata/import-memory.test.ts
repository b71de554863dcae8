import assert from 'node:assert/strict';
import { createWriteStream, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addDays, pointsPerDay } from '../../src/domain/paris-calendar.js';
import { packQuality } from '../../src/domain/point-quality.js';
import { r63CsvHeader, r63CsvLines } from '../../src/bench/r6x-sample-files.js';
import { cliEnv, runCli } from '../support/cli.js';
import { prmNumber, registryCsv } from '../support/registry-fixtures.js';

const PRMS = 60;
const DAYS = 100;
const HEAP_MB = 64;

/**
 * The import streams: a file larger than the whole JavaScript heap imports (reading it whole and
 * splitting it into lines would exhaust that heap).
 */
describe('measurement import memory', () => {
  it(`imports a file larger than the process heap (${HEAP_MB} MB): it streams`, async () => {
    const env = cliEnv();
    const dir = env.PUBLIWATT_DATA_DIR!;
    const prms = Array.from({ length: PRMS }, (_, i) => prmNumber(i + 1, '444'));
    const registry = path.join(dir, 'registry.csv');
    writeFileSync(
      registry,
      registryCsv(prms.map((prm) => ({ prm, step: 'PT10M', start: '2025-01-01', collection: '2025-01-01' }))),
    );
    const file = path.join(dir, 'big-r63b.csv');
    const out = createWriteStream(file);
    out.write(`${r63CsvHeader()}\n`);
    const quality = packQuality({ n: 'B', iv: 0, ec: 0 });
    let points = 0;
    for (const prm of prms) {
      for (let d = 0; d < DAYS; d++) {
        const day = addDays('2025-03-01', d);
        const n = pointsPerDay(day, 10);
        const values = new Int32Array(n).map((_, i) => 100 + ((i * 37 + d) % 900));
        const qualities = new Uint16Array(n).fill(quality);
        let chunk = '';
        for (const line of r63CsvLines(
          [{ prm, day, quantity: 'PA', stage: 'BRUT', stepMinutes: 10, values, qualities }],
          'B',
        )) {
          chunk += `${line}\n`;
          points++;
        }
        if (!out.write(chunk)) await once(out, 'drain');
      }
    }
    out.end();
    await once(out, 'close');
    const megabytes = statSync(file).size / 1048576;
    assert.ok(megabytes > HEAP_MB, `the file (${megabytes.toFixed(0)} MB) is larger than the heap`);

    const limited = { ...env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` };
    const registered = await runCli(['import-registry', registry], limited);
    assert.equal(registered.code, 0, registered.stderr);
    try {
      const imported = await runCli(['import', file], limited);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, new RegExp(String(points)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
