import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { masterKeyCheckValue } from '../../src/crypto/master-key-check.js';
import { openDatabase } from '../../src/db/database.js';
import { MasterKeyRepository } from '../../src/db/master-key.repository.js';
import { cliEnv, runCli, startCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../support/databases.js';
import { NEW_KEY, OLD_KEY, openedWith, seedSealedData } from '../support/master-key-fixtures.js';
import {
  fullCurveDay,
  PRM_B1,
  seedPublicationRegistry,
  storeCurves,
  subscribeAlphaDailyCurves,
} from '../support/publication-fixtures.js';

const mode = (file: string) => statSync(file).mode & 0o777;

function oneLine(result: CliResult): string {
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  return lines[0]!;
}

for (const engine of TEST_ENGINES) {
  void describe(`master key on the command line [${engine}]`, () => {
    const databases: TestDatabase[] = [];
    const fresh = async () => {
      const database = await createTestDatabase(engine);
      databases.push(database);
      return database;
    };
    after(async () => {
      for (const database of databases) await database.drop();
    });

    it('a process started with another master key stops with one line and a non-zero exit, writing nothing', async () => {
      const database = await fresh();
      const env = cliEnv({
        PUBLIWATT_DATABASE_URL: database.url,
        PUBLIWATT_MASTER_KEY: OLD_KEY.toString('hex'),
      });
      const first = await runCli(['publish', '--due'], env);
      assert.equal(first.code, 0, first.stderr);
      const before = await database.handle.db.selectFrom('master_key_check').selectAll().execute();
      assert.equal(before[0]?.check_value, masterKeyCheckValue(OLD_KEY));
      const wrong = { ...env, PUBLIWATT_MASTER_KEY: NEW_KEY.toString('hex') };
      const port = String(20000 + Math.floor(Math.random() * 20000));
      // The engine commands (publish, deliver, purge) share one start path; worker and serve have their
      // own (worker runs on PostgreSQL only: on SQLite it is refused before the database is opened).
      const commands = [
        ['publish', '--due'],
        ['serve', '--port', port],
      ];
      if (engine === 'postgres') commands.push(['worker']);
      for (const args of commands) {
        const result = await runCli(args, wrong);
        assert.notEqual(result.code, 0, args.join(' '));
        assert.match(
          oneLine(result),
          new RegExp(
            '^publiwatt: MASTER_KEY_MISMATCH: PUBLIWATT_MASTER_KEY does not match the master key this ' +
              `database was sealed with \\(stored check value ${masterKeyCheckValue(OLD_KEY).slice(0, 16)}, ` +
              `this key's ${masterKeyCheckValue(NEW_KEY).slice(0, 16)}\\); .*publiwatt rotate-master-key`,
          ),
          args.join(' '),
        );
      }
      assert.deepEqual(await database.handle.db.selectFrom('master_key_check').selectAll().execute(), before);
    });

    it('rotate-master-key re-seals everything (new key from a file or stdin); then only the new key starts', async () => {
      const database = await fresh();
      const env = cliEnv({
        PUBLIWATT_DATABASE_URL: database.url,
        PUBLIWATT_MASTER_KEY: OLD_KEY.toString('hex'),
      });
      const archiveRoot = path.join(env.PUBLIWATT_DATA_DIR!, 'archive');
      const sealed = await seedSealedData(database.handle.db, archiveRoot, OLD_KEY);
      const keyFile = path.join(env.PUBLIWATT_DATA_DIR!, 'new.key');
      writeFileSync(keyFile, `${NEW_KEY.toString('hex')}\n`);

      const bad = await runCli(
        ['rotate-master-key', '--new-key-file', path.join(env.PUBLIWATT_DATA_DIR!, 'x')],
        env,
      );
      assert.notEqual(bad.code, 0);
      assert.match(oneLine(bad), /^publiwatt: NOT_FOUND: .*x: cannot read the new key \(ENOENT\)$/);

      const rotated = await runCli(['rotate-master-key', '--new-key-file', keyFile], env);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /^rotation finished: 5 secret\(s\) and 5 archived file\(s\) re-sealed/);
      const opened = await openedWith(database.handle.db, archiveRoot, NEW_KEY);
      assert.deepEqual(opened, sealed);

      const old = await runCli(['publish', '--due'], env);
      assert.match(oneLine(old), /^publiwatt: MASTER_KEY_MISMATCH: /);
      const newEnv = { ...env, PUBLIWATT_MASTER_KEY: NEW_KEY.toString('hex') };
      const started = await runCli(['publish', '--due'], newEnv);
      assert.equal(started.code, 0, started.stderr);

      const back = await runCli(
        ['rotate-master-key', '--new-key-file', '-'],
        newEnv,
        OLD_KEY.toString('hex'),
      );
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(await openedWith(database.handle.db, archiveRoot, OLD_KEY), sealed);
    });

    it('a rotation killed mid-way refuses every start until it is run again, which finishes it', async () => {
      const database = await fresh();
      const env = cliEnv({
        PUBLIWATT_DATABASE_URL: database.url,
        PUBLIWATT_MASTER_KEY: OLD_KEY.toString('hex'),
      });
      const archiveRoot = path.join(env.PUBLIWATT_DATA_DIR!, 'archive');
      const sealed = await seedSealedData(database.handle.db, archiveRoot, OLD_KEY, {
        files: 12,
        fileBytes: 2 * 1024 * 1024,
      });
      const keyFile = path.join(env.PUBLIWATT_DATA_DIR!, 'new.key');
      writeFileSync(keyFile, NEW_KEY.toString('hex'));
      const child = startCli(['rotate-master-key', '--new-key-file', keyFile], env);
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Killed as soon as the first archived file is recorded re-sealed.
      const repository = new MasterKeyRepository(database.handle.db);
      const deadline = Date.now() + 30_000;
      let killedMidway = false;
      while (Date.now() < deadline && child.exitCode === null) {
        const record = await repository.read().catch(() => undefined);
        if (record?.rotation?.fileCursor) {
          killedMidway =
            child.kill('SIGKILL') && record.rotation.fileCursor < [...sealed.files.keys()].sort().at(-1)!;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await exited;
      assert.ok(killedMidway, 'the rotation was killed after its first file and before its last');
      const refused = await runCli(['publish', '--due'], env);
      assert.match(
        oneLine(refused),
        /^publiwatt: MASTER_KEY_ROTATION_UNFINISHED: a master key rotation is unfinished/,
      );
      const refusedNew = await runCli(['publish', '--due'], {
        ...env,
        PUBLIWATT_MASTER_KEY: NEW_KEY.toString('hex'),
      });
      assert.match(oneLine(refusedNew), /^publiwatt: MASTER_KEY_ROTATION_UNFINISHED: /);
      const resumed = await runCli(['rotate-master-key', '--new-key-file', keyFile], env);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /^rotation resumed and finished: /);
      assert.deepEqual(await openedWith(database.handle.db, archiveRoot, NEW_KEY), sealed);
      const old = await openedWith(database.handle.db, archiveRoot, OLD_KEY);
      assert.deepEqual([old.secrets.size, old.files.size], [0, 0]);
      assert.deepEqual(
        readdirSync(archiveRoot, { recursive: true }).filter((f) => String(f).endsWith('.rekey.part')),
        [],
      );
    });
  });
}

describe('data at rest on the command line', () => {
  it('creates the data directory and archive folders 0700, the database, master.key and archived files 0600', async () => {
    const env = cliEnv();
    delete env.PUBLIWATT_MASTER_KEY;
    const dataDir = path.join(env.PUBLIWATT_DATA_DIR!, 'data');
    env.PUBLIWATT_DATA_DIR = dataDir;
    const migrated = await runCli(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.equal(mode(dataDir), 0o700);
    assert.equal(mode(path.join(dataDir, 'master.key')), 0o600);
    assert.equal(mode(path.join(dataDir, 'publiwatt.db')), 0o600);

    // A window of yesterday with data, published by the CLI into a new archive folder.
    const handle = openDatabase({ engine: 'sqlite', file: path.join(dataDir, 'publiwatt.db') });
    try {
      const day = 86_400_000;
      const { alpha } = await seedPublicationRegistry(handle.db);
      await subscribeAlphaDailyCurves(handle.db, alpha, new Date(Date.now() - 4 * day));
      const storedAt = new Date(Date.now() - 2 * day);
      const measured = new Date(storedAt.getTime() - day).toISOString().slice(0, 10);
      await storeCurves(handle.db, [fullCurveDay(PRM_B1, measured, 'B', 30, 1)], storedAt);
    } finally {
      await handle.destroy();
    }
    const published = await runCli(['publish', '--due'], env);
    assert.equal(published.code, 0, published.stderr);
    const archive = path.join(dataDir, 'archive');
    const entries = (readdirSync(archive, { recursive: true }) as string[]).map((e) => path.join(archive, e));
    const files = entries.filter((e) => e.endsWith('.pwm'));
    assert.ok(files.length >= 1, `a file was published: ${published.stdout}`);
    assert.equal(mode(archive), 0o700);
    for (const entry of entries) assert.equal(mode(entry), entry.endsWith('.pwm') ? 0o600 : 0o700, entry);
  });

  it('a key generated on a database sealed with another key is refused and not kept', async () => {
    const env = cliEnv();
    const first = await runCli(['publish', '--due'], env);
    assert.equal(first.code, 0, first.stderr);
    delete env.PUBLIWATT_MASTER_KEY;
    const generated = await runCli(['publish', '--due'], env);
    assert.notEqual(generated.code, 0);
    assert.match(
      oneLine(generated),
      /^publiwatt: MASTER_KEY_MISMATCH: the master key just generated into .*master\.key \(PUBLIWATT_MASTER_KEY is not set\) does not match/,
    );
    assert.equal(existsSync(path.join(env.PUBLIWATT_DATA_DIR!, 'master.key')), false);
  });
});
