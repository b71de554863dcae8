import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { removeAbandonedTemporaryFiles } from './start-cleanup.js';

const silent = { info: () => undefined, warn: () => undefined };

/** Writes a file last modified `ageMs` ago. */
function fileAged(file: string, ageMs: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  const at = new Date(Date.now() - ageMs);
  utimesSync(file, at, at);
}

describe('temporary files at process start', () => {
  it('removes what dead writers left in the archive and the outbox, not what another process is writing', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-start-cleanup-'));
    const month = path.join(dataDir, 'archive', '2026', '05');
    const outbox = path.join(dataDir, 'outbox');
    fileAged(path.join(month, 'run-1.zip.pwm'), 3 * 3_600_000);
    fileAged(path.join(month, 'run-2.zip.pwm.0a1b2c3d4e5f.part'), 2 * 3_600_000);
    fileAged(path.join(month, 'run-3.zip.pwm.aaaaaaaaaaaa.part'), 60_000);
    fileAged(path.join(outbox, '20260501T080000000Z-0a1b2c3d.eml'), 3 * 3_600_000);
    fileAged(path.join(outbox, '.20260501T080000000Z-deadbeef.eml.part'), 20 * 60_000);
    fileAged(path.join(outbox, '.20260501T090000000Z-0badf00d.eml.part'), 1000);

    const removed = await removeAbandonedTemporaryFiles({ dataDir, now: new Date(), logger: silent });

    assert.deepEqual(removed, { archiveParts: 1, outboxParts: 1 });
    assert.deepEqual(readdirSync(month).sort(), ['run-1.zip.pwm', 'run-3.zip.pwm.aaaaaaaaaaaa.part']);
    assert.deepEqual(readdirSync(outbox).sort(), [
      '.20260501T090000000Z-0badf00d.eml.part',
      '20260501T080000000Z-0a1b2c3d.eml',
    ]);
  });

  it('starts on an empty data directory', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-start-cleanup-'));
    assert.deepEqual(await removeAbandonedTemporaryFiles({ dataDir, now: new Date(), logger: silent }), {
      archiveParts: 0,
      outboxParts: 0,
    });
  });
});
