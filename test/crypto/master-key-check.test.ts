import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MasterCipher } from '../../src/crypto/master-cipher.js';
import { checkMasterKey, masterKeyCheckValue } from '../../src/crypto/master-key-check.js';
import { openDatabase, type DatabaseHandle, type Engine } from '../../src/db/database.js';
import { MasterKeyRepository, SEALED_COLUMNS } from '../../src/db/master-key.repository.js';
import { AppError } from '../../src/domain/app-error.js';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../support/databases.js';
import {
  ALPHA_SIREN,
  seedPublication,
  seedPublicationRegistry,
  subscribe,
} from '../support/publication-fixtures.js';
import {
  insertChannel,
  insertEntreprise,
  NEW_KEY,
  OLD_KEY,
  seedSealedData,
} from '../support/master-key-fixtures.js';

const NOW = new Date('2026-03-02T00:00:00.000Z');

function check(handle: DatabaseHandle, key: Buffer, archiveRoot = emptyDir()) {
  return checkMasterKey({ db: handle.db, key, keyName: 'PUBLIWATT_MASTER_KEY', archiveRoot, now: NOW });
}

function emptyDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'publiwatt-archive-'));
}

function refusedWith(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code);
    assert.match(error.detail, pattern);
    assert.doesNotMatch(error.detail, /\n/, 'one line');
    return true;
  };
}

describe('master key check value', () => {
  it('names a key without revealing it: fixed per key, different between keys', () => {
    assert.equal(masterKeyCheckValue(OLD_KEY), masterKeyCheckValue(Buffer.from(OLD_KEY)));
    assert.notEqual(masterKeyCheckValue(OLD_KEY), masterKeyCheckValue(NEW_KEY));
    assert.match(masterKeyCheckValue(OLD_KEY), /^[0-9a-f]{64}$/);
    assert.ok(!masterKeyCheckValue(OLD_KEY).includes(OLD_KEY.toString('hex')));
  });
});

for (const engine of TEST_ENGINES) {
  void describe(`master key check at start [${engine}]`, () => {
    const databases: TestDatabase[] = [];
    const fresh = async (e: Engine = engine) => {
      const database = await createTestDatabase(e);
      databases.push(database);
      return database;
    };
    after(async () => {
      for (const database of databases) await database.drop();
    });

    it('stores the key check value on first start and accepts the same key again', async () => {
      const { handle } = await fresh();
      await check(handle, OLD_KEY);
      const stored = await new MasterKeyRepository(handle.db).read();
      assert.equal(stored?.checkValue, masterKeyCheckValue(OLD_KEY));
      assert.equal(stored?.rotation, null);
      await check(handle, OLD_KEY);
    });

    it('refuses another key with one line naming both check values and what to do, writing nothing', async () => {
      const { handle } = await fresh();
      await check(handle, OLD_KEY);
      const before = await handle.db.selectFrom('master_key_check').selectAll().execute();
      await assert.rejects(
        check(handle, NEW_KEY),
        refusedWith(
          'MASTER_KEY_MISMATCH',
          new RegExp(
            `^PUBLIWATT_MASTER_KEY does not match the master key this database was sealed with .*` +
              `${masterKeyCheckValue(OLD_KEY).slice(0, 16)}.*${masterKeyCheckValue(NEW_KEY).slice(0, 16)}.*` +
              'publiwatt rotate-master-key',
          ),
        ),
      );
      assert.deepEqual(await handle.db.selectFrom('master_key_check').selectAll().execute(), before);
    });

    it('two processes starting together on a fresh database agree on one key', async () => {
      const database = await fresh();
      const second = openDatabase(
        engine === 'sqlite'
          ? { engine, file: database.url.slice('sqlite:'.length) }
          : { engine, url: database.url },
      );
      try {
        const same = await Promise.allSettled([check(database.handle, OLD_KEY), check(second, OLD_KEY)]);
        assert.deepEqual(
          same.map((r) => r.status),
          ['fulfilled', 'fulfilled'],
        );
        const other = await fresh();
        const third = openDatabase(
          engine === 'sqlite'
            ? { engine, file: other.url.slice('sqlite:'.length) }
            : { engine, url: other.url },
        );
        try {
          const results = await Promise.allSettled([check(other.handle, OLD_KEY), check(third, NEW_KEY)]);
          const won = results.findIndex((r) => r.status === 'fulfilled');
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one key wins');
          const lost = results[1 - won]!;
          assert.equal(lost.status, 'rejected');
          assert.equal(((lost as PromiseRejectedResult).reason as AppError).code, 'MASTER_KEY_MISMATCH');
          const stored = await new MasterKeyRepository(other.handle.db).read();
          assert.equal(stored?.checkValue, masterKeyCheckValue(won === 0 ? OLD_KEY : NEW_KEY));
        } finally {
          await third.destroy();
        }
      } finally {
        await second.destroy();
      }
    });

    it('a database holding sealed secrets but no check value yet keeps it only for a key that opens them', async () => {
      const { handle } = await fresh();
      const entreprise = await insertEntreprise(handle.db, 'Alpha SA');
      const channel = await insertChannel(
        handle.db,
        entreprise,
        new MasterCipher(OLD_KEY).sealString('secret'),
      );
      await assert.rejects(
        check(handle, NEW_KEY),
        refusedWith(
          'MASTER_KEY_MISMATCH',
          new RegExp(
            `does not open the data already sealed in this database \\(channel secret ${channel}\\)`,
          ),
        ),
      );
      assert.equal(await new MasterKeyRepository(handle.db).read(), undefined, 'nothing stored');
      await check(handle, OLD_KEY);
      assert.equal(
        (await new MasterKeyRepository(handle.db).read())?.checkValue,
        masterKeyCheckValue(OLD_KEY),
      );
    });

    it('a database whose archive holds files but no check value yet checks the key on the oldest file', async () => {
      const { handle } = await fresh();
      const archiveRoot = emptyDir();
      const sealed = await seedSealedData(handle.db, archiveRoot, OLD_KEY, { files: 2 });
      // Only the archive is left sealed: the oldest archived file present on disk is what is checked.
      await handle.db.updateTable('channel').set({ secret_sealed: null }).execute();
      await handle.db.deleteFrom('customer_key').execute();
      const [missing, present] = [...sealed.files.keys()];
      await insertPublicationRow(handle, missing!.replace('run-1', 'run-0'), 'INDEX');
      await insertPublicationRow(handle, present!, 'CDC_BRUTE');
      await assert.rejects(
        check(handle, NEW_KEY, archiveRoot),
        refusedWith(
          'MASTER_KEY_MISMATCH',
          new RegExp(`\\(archived file ${present!.replace(/\./g, '\\.')}\\)`),
        ),
      );
      assert.equal(await new MasterKeyRepository(handle.db).read(), undefined, 'nothing stored');
      await check(handle, OLD_KEY, archiveRoot);
    });

    it('while a rotation is unfinished, refuses to start with either key', async () => {
      const { handle } = await fresh();
      await check(handle, OLD_KEY);
      await new MasterKeyRepository(handle.db).startRotation(
        masterKeyCheckValue(OLD_KEY),
        masterKeyCheckValue(NEW_KEY),
        NOW,
      );
      for (const key of [OLD_KEY, NEW_KEY]) {
        await assert.rejects(
          check(handle, key),
          refusedWith(
            'MASTER_KEY_ROTATION_UNFINISHED',
            /^a master key rotation is unfinished .*run `publiwatt rotate-master-key` again with the same new key/,
          ),
        );
      }
    });

    it('knows every sealed column of the schema (a new `*_sealed` column must be rotated too)', async () => {
      const { handle } = await fresh();
      const tables = await handle.db.introspection.getTables();
      const sealedColumns = tables
        .flatMap((table) => table.columns.map((column) => `${table.name}.${column.name}`))
        .filter((name) => name.endsWith('_sealed'))
        .sort();
      assert.deepEqual(sealedColumns, SEALED_COLUMNS.map((s) => `${s.table}.${s.column}`).sort());
    });
  });
}

/** An archive row (with its subscription and run) pointing at `storageKey`. */
async function insertPublicationRow(
  handle: DatabaseHandle,
  storageKey: string,
  dataType: 'INDEX' | 'CDC_BRUTE',
): Promise<void> {
  const entreprise = await handle.db
    .selectFrom('entreprise')
    .select('id')
    .where('name', '=', 'Alpha SA')
    .executeTakeFirst();
  const entrepriseId = entreprise?.id ?? (await seedPublicationRegistry(handle.db)).alpha;
  const subscriptionId = await subscribe(handle.db, {
    entrepriseId,
    siren: ALPHA_SIREN,
    category: 'B',
    dataType,
    frequency: 'Q',
    format: 'CSV',
    effectiveAt: new Date('2026-02-01T00:00:00Z'),
  });
  const id = await seedPublication(handle, subscriptionId, entrepriseId);
  await handle.db.updateTable('publication').set({ storage_key: storageKey }).where('id', '=', id).execute();
}
