import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, it } from 'node:test';
import { r63Csv } from '../../src/bench/r6x-sample-files.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { cliEnv, runCli } from '../support/cli.js';
import { describeEachEngine } from '../support/databases.js';
import { registryCsv } from '../support/registry-fixtures.js';

const PRM = '50000000000001';

describeEachEngine('generate and import commands', (ctx) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-cli-meas-'));
  before(async () => {
    await importRegistryCsv(ctx.handle.db, registryCsv([{ prm: PRM, segment: 'C4' }]), {
      source: 't.csv',
      now: new Date('2026-01-01T00:00:00Z'),
      actor: { type: 'system', id: null, label: 't' },
    });
  });

  it('generates a SIREN range, then re-imports an exported file without change, and rejects a bad one', async () => {
    const env = cliEnv({ PUBLIWATT_DATABASE_URL: ctx.url });
    const generated = await runCli(
      ['generate', '--siren', '356000000', '--from', '2026-01-05', '--to', '2026-01-08', '--seed', '4'],
      env,
    );
    assert.equal(generated.code, 0, generated.stderr);
    assert.match(generated.stdout, /356000000: 1 PRM\(s\), 9 curve day\(s\)/);
    const store = new MeasurementRepository(ctx.handle.db);
    const curves = await store.readCurves(PRM, '2026-01-05', '2026-01-08', { stage: 'BRUT' });
    assert.equal(curves.length, 9);
    const exported = path.join(dir, 'export.csv');
    writeFileSync(exported, r63Csv(curves, 'A'));
    const reimport = await runCli(['import', exported], env);
    assert.equal(reimport.code, 0, reimport.stderr);
    assert.match(
      reimport.stdout,
      /R63 CSV\): \d+ curve point\(s\).* 0 curve day\(s\), 0 reading\(s\), 0 corrected day\(s\)/,
    );
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, r63Csv(curves.slice(0, 1), 'A').replace(';PT5M;', ';PT30M;'));
    const rejected = await runCli(['import', bad], env);
    assert.equal(rejected.code, 1);
    assert.match(
      rejected.stderr,
      /^publiwatt: IMPORT_REJECTED: .*bad\.csv rejected, nothing imported:\n.*bad\.csv: line 2 \(Pas\): step "PT30M"/,
    );
  });
});
