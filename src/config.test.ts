import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';
import { AppError } from './domain/app-error.js';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'publiwatt-config-'));
const KEY = 'ab'.repeat(32);

describe('configuration', () => {
  it('defaults to SQLite in the data directory and port 3000', () => {
    const dir = dataDir();
    const config = loadConfig({ PUBLIWATT_DATA_DIR: dir, PUBLIWATT_MASTER_KEY: KEY });
    assert.deepEqual(config.database, { engine: 'sqlite', file: path.join(dir, 'publiwatt.db') });
    assert.equal(config.port, 3000);
    assert.equal(config.smtpUrl, undefined);
  });

  it('generates a master key once, mode 0600, and reuses it', () => {
    const dir = dataDir();
    const first = loadConfig({ PUBLIWATT_DATA_DIR: dir });
    assert.equal(first.masterKeySource, 'generated');
    assert.equal(first.masterKey.length, 32);
    assert.equal(statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);
    const second = loadConfig({ PUBLIWATT_DATA_DIR: dir });
    assert.equal(second.masterKeySource, 'file');
    assert.deepEqual(second.masterKey, first.masterKey);
    assert.match(readFileSync(path.join(dir, 'master.key'), 'utf8'), /^[0-9a-f]{64}\n$/);
  });

  it('rejects each invalid variable by name', () => {
    const dir = dataDir();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PUBLIWATT_DATABASE_URL: 'mysql://x' }, /^PUBLIWATT_DATABASE_URL: /],
      [{ PUBLIWATT_DATABASE_URL: 'sqlite:' }, /^PUBLIWATT_DATABASE_URL: /],
      [{ PORT: '70000' }, /^PORT: /],
      [{ PORT: 'abc' }, /^PORT: /],
      [{ PUBLIWATT_MASTER_KEY: 'xyz' }, /^PUBLIWATT_MASTER_KEY: .*64 hexadecimal/],
      [{ PUBLIWATT_SMTP_URL: 'http://mail' }, /^PUBLIWATT_SMTP_URL: /],
      [{ PUBLIWATT_PUBLIC_URL: 'portal.example' }, /^PUBLIWATT_PUBLIC_URL: /],
      [{ PUBLIWATT_CHANNEL_ALLOW: '10.20.0.0/40' }, /^PUBLIWATT_CHANNEL_ALLOW: /],
      [{ PUBLIWATT_CHANNEL_ALLOW: '*.intranet.example' }, /^PUBLIWATT_CHANNEL_ALLOW: /],
      [{ PUBLIWATT_LOG_LEVEL: 'bogus' }, /^PUBLIWATT_LOG_LEVEL: "bogus" is not one of fatal, error/],
    ];
    for (const [env, expected] of cases) {
      assert.throws(
        () => loadConfig({ PUBLIWATT_DATA_DIR: dir, PUBLIWATT_MASTER_KEY: KEY, ...env }),
        (error: unknown) =>
          error instanceof AppError && error.code === 'INVALID_CONFIGURATION' && expected.test(error.detail),
      );
    }
  });

  it('accepts PostgreSQL URLs', () => {
    const config = loadConfig({
      PUBLIWATT_DATA_DIR: dataDir(),
      PUBLIWATT_MASTER_KEY: KEY,
      PUBLIWATT_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    assert.equal(config.database.engine, 'postgres');
  });

  it('reads the ranges and names customer channels may reach besides public addresses', () => {
    const env = { PUBLIWATT_DATA_DIR: dataDir(), PUBLIWATT_MASTER_KEY: KEY };
    assert.deepEqual(loadConfig(env).channelAllow, []);
    assert.deepEqual(
      loadConfig({ ...env, PUBLIWATT_CHANNEL_ALLOW: '10.20.0.0/16,sftp.intranet.example' }).channelAllow,
      ['10.20.0.0/16', 'sftp.intranet.example'],
    );
  });

  it('reads the public URL of the portal for e-mailed links', () => {
    const env = { PUBLIWATT_DATA_DIR: dataDir(), PUBLIWATT_MASTER_KEY: KEY };
    assert.equal(loadConfig(env).publicUrl, undefined);
    assert.equal(
      loadConfig({ ...env, PUBLIWATT_PUBLIC_URL: 'https://publiwatt.example' }).publicUrl,
      'https://publiwatt.example',
    );
  });
});
