import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('SQLite files at rest', () => {
  it('creates the database file 0600, so its -wal and -shm are 0600 too, in a 0700 folder', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'publiwatt-modes-')), 'data');
    const file = path.join(dir, 'publiwatt.db');
    const handle = openDatabase({ engine: 'sqlite', file });
    try {
      await sql`create table t (x integer)`.execute(handle.db);
      await sql`insert into t values (1)`.execute(handle.db);
      assert.ok(existsSync(`${file}-wal`) && existsSync(`${file}-shm`), 'WAL mode keeps both files open');
      assert.equal(mode(dir), 0o700);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f), 0o600, f);
    } finally {
      await handle.destroy();
    }
  });
});
