import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { it } from 'node:test';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { LocalArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import { fullCurveDay, storeCurves, subscribe, testEngine } from '../support/publication-fixtures.js';
import { prmNumber, registryCsv } from '../support/registry-fixtures.js';

const SIREN = '356000000';
/** More PRMs than one insert of a file's list takes, so that part of it is written before the end. */
const PRMS = 2500;

/** Writes the whole file, then fails: the run fails after its whole PRM list went by. */
class FailingAfterWrite extends LocalArchiveStorage {
  failures = 1;

  override async write(key: string, source: Readable): Promise<void> {
    await super.write(key, source);
    if (this.failures-- > 0) throw new Error('archive disk full');
  }
}

describeEachEngine('the PRM list of a large file', (ctx) => {
  it('is kept only with its publication: a run failing at the end leaves none of it, the redo lists each PRM once', async () => {
    const db = ctx.handle.db;
    const prms = Array.from({ length: PRMS }, (_, i) => prmNumber(i + 1, '301'));
    await importRegistryCsv(
      db,
      registryCsv(
        prms.map((prm, i) => ({
          entreprise: 'Gamma SA',
          siren: SIREN,
          prm,
          contract: `CTR-G${i + 1}`,
          start: '2026-01-01',
          collection: '2026-01-01',
        })),
      ),
      {
        source: 'gamma.csv',
        now: new Date('2026-01-01T00:00:00Z'),
        actor: { type: 'system', id: null, label: 'test' },
      },
    );
    const entreprise = await db.selectFrom('entreprise').select('id').executeTakeFirstOrThrow();
    await subscribe(db, {
      entrepriseId: entreprise.id,
      siren: SIREN,
      category: 'B',
      dataType: 'CDC_BRUTE',
      frequency: 'Q',
      format: 'JSON',
      effectiveAt: new Date('2026-05-01T00:00:00Z'),
    });
    for (let i = 0; i < PRMS; i += 500) {
      await storeCurves(
        db,
        prms.slice(i, i + 500).map((prm, j) => fullCurveDay(prm, '2026-05-04', 'B', 30, i + j)),
        new Date('2026-05-04T12:00:00Z'),
      );
    }
    const clock = new FakeClock('2026-05-05T06:00:00Z');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-pub-'));
    const storage = new FailingAfterWrite(path.join(dataDir, 'archive'));
    const engine = testEngine(ctx.handle, clock, { dataDir, storage });
    await engine.schedule();

    const [failed] = await engine.runPending();
    assert.deepEqual([failed?.status, failed?.error], ['retry', 'archive disk full']);
    assert.equal((await db.selectFrom('publication').select('id').execute()).length, 0);
    assert.equal((await db.selectFrom('publication_prm').select('prm').execute()).length, 0);

    clock.set('2026-05-05T07:00:00Z');
    const [done] = await engine.runPending();
    assert.equal(done?.status, 'done');
    const publications = new PublicationRepository(db);
    const publication = await publications.find(done!.publicationId!);
    assert.equal(publication?.prmCount, PRMS);
    const listed = await publications.prmsOf(done!.publicationId!);
    assert.deepEqual(
      listed,
      prms.map((prm, i) => ({ prm, contractNumber: `CTR-G${i + 1}` })),
    );
    assert.equal((await db.selectFrom('publication_prm').select('prm').execute()).length, PRMS);
  });
});
