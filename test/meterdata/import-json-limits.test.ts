import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { r63Json } from '../../src/bench/r6x-sample-files.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { PrmRepository, type PrmRecord } from '../../src/db/prm.repository.js';
import { generatePrmDay } from '../../src/meterdata/generator.js';
import { DEFAULT_IMPORT_LIMITS } from '../../src/meterdata/import/import-limits.js';
import { importMeasurementFile } from '../../src/meterdata/import/measurement-import.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { rejection } from '../support/measurement-snapshot.js';
import { registryCsv } from '../support/registry-fixtures.js';

const NOW = new Date('2026-04-01T08:00:00Z');
const PRM_A = '40000000000011';
const PRM_B = '40000000000012';
const DAY = '2026-01-07';
const NEXT_DAY = '2026-01-08';
const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-json-limits-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `text` with its first occurrence of `search` replaced, which must exist. */
function replaceOnce(text: string, search: string, replacement: string): string {
  assert.ok(text.includes(search), `${search} in the sample`);
  return text.replace(search, () => replacement);
}

describeEachEngine('JSON import limits', (ctx) => {
  let prmA: PrmRecord;
  const stored = async (prm: string) =>
    new MeasurementRepository(ctx.handle.db).readCurves(prm, DAY, NEXT_DAY);
  const importText = (name: string, text: string) => {
    const file = path.join(dir, `${ctx.engine}-${name}`);
    writeFileSync(file, text);
    return importMeasurementFile(ctx.handle.db, file, { fileName: name, now: NOW });
  };
  /** An R63 JSON file of one day of PRM A (one element of `mesures`). */
  const sample = (day = DAY) => r63Json(generatePrmDay(prmA, day, 1, true).curves.slice(0, 1), 'A');

  before(async () => {
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([
        { prm: PRM_A, segment: 'C4' },
        { prm: PRM_B, segment: 'C4' },
      ]),
      { source: 't.csv', now: NOW, actor: { type: 'system', id: null, label: 't' } },
    );
    prmA = (await new PrmRepository(ctx.handle.db).find(PRM_A))!;
  });

  it('imports the unaltered sample (each case below differs from it by one change)', async () => {
    const result = await importText('sample.json', sample('2026-01-05'));
    assert.ok(result.curvePoints > 0);
  });

  it('rejects a duplicated idPrm in an element with its path, and stores nothing', async () => {
    const text = replaceOnce(
      sample(),
      `"idPrm": "${PRM_A}",`,
      `"idPrm": "${PRM_A}",\n  "idPrm": "${PRM_B}",`,
    );
    const error = await rejection(importText('duplicate-idprm.json', text));
    assert.equal(error.code, 'IMPORT_REJECTED');
    assert.match(
      error.detail,
      /\$\.mesures\[0\]\.idPrm \(line \d+, column \d+\): malformed JSON: duplicate key "idPrm"/,
    );
    assert.deepEqual(await stored(PRM_A), []);
    assert.deepEqual(await stored(PRM_B), []);
  });

  it('does not take idPrm from a __proto__ member', async () => {
    const text = replaceOnce(sample(), `"idPrm": "${PRM_A}",`, `"__proto__": {"idPrm": "${PRM_A}"},`);
    const error = await rejection(importText('proto-idprm.json', text));
    assert.match(error.detail, /\$\.mesures\[0\]\.idPrm: PRM "" must be 14 digits/);
    assert.deepEqual(await stored(PRM_A), []);
  });

  it('rejects deep nesting at once, with a short message', async () => {
    const text = replaceOnce(sample(), '"grandeur": [', `"grandeur": [${'['.repeat(2_000_000)}`);
    const started = performance.now();
    const error = await rejection(importText('deep.json', text));
    const elapsed = performance.now() - started;
    assert.match(
      error.detail,
      new RegExp(`nesting deeper than ${DEFAULT_IMPORT_LIMITS.maxJsonDepth} levels`),
    );
    assert.match(error.detail, /\$\.mesures\[0\]\.grandeur(\[0\]){13} \(line/);
    assert.ok(error.detail.length < 300, error.detail);
    assert.ok(elapsed < 3000, `${elapsed} ms`);
    assert.deepEqual(await stored(PRM_A), []);
  });

  it('rejects a huge string at once, quoting only its start', async () => {
    const text = replaceOnce(sample(), '"idDemande": "', `"idDemande": "${'A'.repeat(20_000_000)}`);
    const started = performance.now();
    const error = await rejection(importText('long-string.json', text));
    const elapsed = performance.now() - started;
    assert.match(
      error.detail,
      new RegExp(
        `\\$\\.header\\.idDemande \\(line \\d+, column \\d+\\): malformed JSON: string longer than ${DEFAULT_IMPORT_LIMITS.maxJsonStringLength} characters`,
      ),
    );
    assert.ok(error.detail.length < 300, error.detail);
    assert.ok(elapsed < 3000, `${elapsed} ms`);
    assert.deepEqual(await stored(PRM_A), []);
  });
});
