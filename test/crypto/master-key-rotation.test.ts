import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { MasterCipher } from '../../src/crypto/master-cipher.js';
import { checkMasterKey, masterKeyCheckValue } from '../../src/crypto/master-key-check.js';
import { rotateMasterKey, type RotatedItem } from '../../src/crypto/master-key-rotation.js';
import type { DatabaseHandle, Engine } from '../../src/db/database.js';
import { MasterKeyRepository } from '../../src/db/master-key.repository.js';
import { AppError } from '../../src/domain/app-error.js';
import { LocalArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { PublicationArchive } from '../../src/publication/archive/publication-archive.js';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../support/databases.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  archivedKeys,
  NEW_KEY,
  OLD_KEY,
  openedWith,
  OTHER_KEY,
  seedSealedData,
  type SealedData,
} from '../support/master-key-fixtures.js';

const clock = new FakeClock('2026-03-02T00:00:00Z');

class Crash extends Error {}

/** Throws after the `n`-th item re-sealed by this run: the process dies there. */
function crashAfter(n: number, seen: RotatedItem[] = []): (item: RotatedItem) => void {
  return (item) => {
    seen.push(item);
    if (seen.length === n) throw new Crash(`crash after ${n} item(s)`);
  };
}

function rotate(
  handle: DatabaseHandle,
  archiveRoot: string,
  options: { currentKey?: Buffer; newKey?: Buffer; afterItem?: (item: RotatedItem) => void } = {},
) {
  return rotateMasterKey({
    db: handle.db,
    archiveRoot,
    currentKey: options.currentKey ?? OLD_KEY,
    currentKeyName: 'PUBLIWATT_MASTER_KEY',
    newKey: options.newKey ?? NEW_KEY,
    clock,
    afterItem: options.afterItem,
  });
}

function startWith(handle: DatabaseHandle, archiveRoot: string, key: Buffer) {
  return checkMasterKey({
    db: handle.db,
    key,
    keyName: 'PUBLIWATT_MASTER_KEY',
    archiveRoot,
    now: clock.now(),
  });
}

async function assertSealedOnlyWith(
  handle: DatabaseHandle,
  archiveRoot: string,
  sealed: SealedData,
  key: Buffer,
  notKey: Buffer,
): Promise<void> {
  const opened = await openedWith(handle.db, archiveRoot, key);
  assert.deepEqual(opened.secrets, sealed.secrets, 'every secret opens with the key, unchanged');
  assert.deepEqual(opened.files, sealed.files, 'every archived file opens with the key, unchanged');
  const old = await openedWith(handle.db, archiveRoot, notKey);
  assert.equal(old.secrets.size, 0, 'no secret opens with the other key');
  assert.equal(old.files.size, 0, 'no archived file opens with the other key');
}

for (const engine of TEST_ENGINES) {
  void describe(`rotate-master-key [${engine}]`, () => {
    const databases: TestDatabase[] = [];
    const setUp = async (e: Engine = engine, files = 5) => {
      const database = await createTestDatabase(e);
      databases.push(database);
      const archiveRoot = path.join(mkdtempSync(path.join(tmpdir(), 'publiwatt-rotate-')), 'archive');
      const sealed = await seedSealedData(database.handle.db, archiveRoot, OLD_KEY, { files });
      await startWith(database.handle, archiveRoot, OLD_KEY);
      return { handle: database.handle, archiveRoot, sealed };
    };
    after(async () => {
      for (const database of databases) await database.drop();
    });

    it('re-seals every secret and archived file; only the new key opens the database afterwards', async () => {
      const { handle, archiveRoot, sealed } = await setUp();
      const result = await rotate(handle, archiveRoot);
      assert.deepEqual(
        { ...result, newCheckValue: undefined },
        { alreadyDone: false, resumed: false, secrets: 5, files: 5, newCheckValue: undefined },
      );
      await assertSealedOnlyWith(handle, archiveRoot, sealed, NEW_KEY, OLD_KEY);
      await startWith(handle, archiveRoot, NEW_KEY);
      await assert.rejects(startWith(handle, archiveRoot, OLD_KEY), { code: 'MASTER_KEY_MISMATCH' });
      const writerPart = readdirSync(path.join(archiveRoot, '2026/03')).filter((f) => f.endsWith('.part'));
      assert.deepEqual(
        writerPart,
        ['run-99.zip.pwm.0a1b2c3d4e5f.part'],
        "an archive writer's part is left alone",
      );
      const again = await rotate(handle, archiveRoot, { currentKey: NEW_KEY });
      assert.equal(again.alreadyDone, true, 'running it again (with the new key configured) does nothing');
      const sameAgain = await rotate(handle, archiveRoot);
      assert.equal(sameAgain.alreadyDone, true, 'running it again (with the old key still configured) too');
    });

    it('a run killed at any point is finished by the next one; nothing opens with the old key after', async () => {
      // 3 customer keys, 2 channel passwords, 5 files. Each run below dies at another kind of point.
      const { handle, archiveRoot, sealed } = await setUp();
      const runs: Array<{ crashAt: number; expect: string }> = [
        // inside the customer-key batch: its transaction is rolled back, nothing changed
        { crashAt: 2, expect: 'customer key 2' },
        // first channel password: customer keys committed, channel batch rolled back
        { crashAt: 4, expect: 'channel 1' },
        // second archived file renamed, its progress not recorded
        { crashAt: 4, expect: 'file 2' },
        // the next run finds that file already re-sealed and dies after the third
        { crashAt: 1, expect: 'file 3' },
      ];
      for (const [index, run] of runs.entries()) {
        const seen: RotatedItem[] = [];
        await assert.rejects(
          rotate(handle, archiveRoot, { afterItem: crashAfter(run.crashAt, seen) }),
          Crash,
        );
        const last = seen[seen.length - 1]!;
        const where =
          last.kind === 'file'
            ? `file ${archivedKeys(archiveRoot).indexOf(last.key) + 1}`
            : `${last.label.replace('channel secret', 'channel')} ${
                seen.filter((s) => s.kind === 'secret' && s.label === last.label).length
              }`;
        assert.equal(where, run.expect, `run ${index + 1} died where planned`);
        for (const key of [OLD_KEY, NEW_KEY]) {
          await assert.rejects(startWith(handle, archiveRoot, key), {
            code: 'MASTER_KEY_ROTATION_UNFINISHED',
          });
        }
      }
      const record = await new MasterKeyRepository(handle.db).read();
      assert.equal(record?.rotation?.checkValue, masterKeyCheckValue(NEW_KEY));
      assert.equal(record?.rotation?.fileCursor, archivedKeys(archiveRoot)[1], 'progress: the second file');
      const last = await rotate(handle, archiveRoot);
      assert.equal(last.resumed, true);
      assert.equal(last.files, 2, 'only the last two files were left');
      await assertSealedOnlyWith(handle, archiveRoot, sealed, NEW_KEY, OLD_KEY);
      await startWith(handle, archiveRoot, NEW_KEY);
      assert.equal((await new MasterKeyRepository(handle.db).read())?.rotation, null);
    });

    it('removes the temporary file a killed re-seal left, keeping the archived file whole', async () => {
      const { handle, archiveRoot, sealed } = await setUp(engine, 2);
      const [first] = archivedKeys(archiveRoot);
      const leftover = path.join(archiveRoot, `${first!}.abcdef012345.rekey.part`);
      writeFileSync(leftover, 'half written');
      // 5 secrets, then the first file: the file phase has begun.
      await assert.rejects(rotate(handle, archiveRoot, { afterItem: crashAfter(6) }), Crash);
      assert.equal(existsSync(leftover), false);
      await rotate(handle, archiveRoot);
      await assertSealedOnlyWith(handle, archiveRoot, sealed, NEW_KEY, OLD_KEY);
    });

    it('refuses a wrong current key before changing anything', async () => {
      const { handle, archiveRoot, sealed } = await setUp(engine, 1);
      await assert.rejects(rotate(handle, archiveRoot, { currentKey: OTHER_KEY }), (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'MASTER_KEY_MISMATCH');
        return true;
      });
      assert.equal((await new MasterKeyRepository(handle.db).read())?.rotation, null, 'no rotation started');
      await assertSealedOnlyWith(handle, archiveRoot, sealed, OLD_KEY, NEW_KEY);
    });

    it('has nothing to do for the current key, and refuses another new key while a rotation is unfinished', async () => {
      const { handle, archiveRoot, sealed } = await setUp(engine, 1);
      assert.equal((await rotate(handle, archiveRoot, { newKey: OLD_KEY })).alreadyDone, true);
      await assertSealedOnlyWith(handle, archiveRoot, sealed, OLD_KEY, NEW_KEY);
      await assert.rejects(rotate(handle, archiveRoot, { afterItem: crashAfter(4) }), Crash);
      await assert.rejects(
        rotate(handle, archiveRoot, { newKey: OTHER_KEY }),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'MASTER_KEY_ROTATION_UNFINISHED' &&
          error.detail.includes(masterKeyCheckValue(NEW_KEY).slice(0, 16)),
      );
      await rotate(handle, archiveRoot);
      await assertSealedOnlyWith(handle, archiveRoot, sealed, NEW_KEY, OLD_KEY);
    });

    it('stops on a file that opens with neither key, naming it, and finishes once it is moved away', async () => {
      const { handle, archiveRoot, sealed } = await setUp(engine, 2);
      const foreignKey = '2026/02/run-0.zip.pwm';
      await new PublicationArchive(new LocalArchiveStorage(archiveRoot), new MasterCipher(OTHER_KEY)).put(
        foreignKey,
        Readable.from([Buffer.from('zip of another platform')]),
      );
      await assert.rejects(
        rotate(handle, archiveRoot),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'MASTER_KEY_MISMATCH' &&
          error.detail.startsWith(`archived file ${foreignKey} opens with neither`),
      );
      rmSync(path.join(archiveRoot, foreignKey));
      await rotate(handle, archiveRoot);
      await assertSealedOnlyWith(handle, archiveRoot, sealed, NEW_KEY, OLD_KEY);
    });
  });
}
