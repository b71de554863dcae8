import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { before, describe, it } from 'node:test';
import { encryptStream } from '../../src/crypto/customer-cipher.js';
import { cliEnv, runCli, startCli } from '../support/cli.js';
import { opensslDecrypt } from '../support/openssl.js';
import { zipFixture } from '../support/zip-fixture.js';

const KEY_HEX = 'a1'.repeat(16) + '5c'.repeat(16);

describe('decrypt command and the openssl recipe', () => {
  let dir: string;
  let zip: Buffer;
  let encryptedFile: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-decrypt-test-'));
    zip = await zipFixture('R64_356000000_TEST.csv', 'a;b\n'.repeat(5000));
    const encrypted = await buffer(Readable.from([zip]).pipe(encryptStream(Buffer.from(KEY_HEX, 'hex'))));
    encryptedFile = path.join(dir, 'flux.zip');
    writeFileSync(encryptedFile, encrypted);
  });

  it('openssl enc -d -aes-256-cbc with the key and the first 16 bytes as IV restores the exact zip', () => {
    assert.ok(opensslDecrypt(readFileSync(encryptedFile), KEY_HEX).equals(zip));
  });

  it('writes the zip to -o', async () => {
    const out = path.join(dir, 'clair.zip');
    const result = await runCli(['decrypt', '--key', KEY_HEX, encryptedFile, '-o', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(readFileSync(out).equals(zip));
  });

  it('writes the zip to standard output without -o', async () => {
    const result = await new Promise<{ code: number | null; stdout: Buffer }>((resolve, reject) => {
      // runCli decodes text; the zip is binary, so collect raw bytes here.
      const child = startCli(['decrypt', '--key', KEY_HEX, encryptedFile], cliEnv());
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (c: Buffer) => chunks.push(c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks) }));
    });
    assert.equal(result.code, 0);
    assert.ok(result.stdout.equals(zip));
  });

  it('refuses a wrong key with one clear line and leaves no output file', async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-decrypt-out-'));
    const out = path.join(outDir, 'clair.zip');
    const result = await runCli(['decrypt', '--key', 'ff'.repeat(32), encryptedFile, '-o', out]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^publiwatt: DECRYPTION_FAILED: the file cannot be decrypted with this key/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(outDir), [], 'no temporary file left behind');
    const toStdout = await runCli(['decrypt', '--key', 'ff'.repeat(32), encryptedFile]);
    assert.equal(toStdout.code, 1);
    assert.equal(toStdout.stdout, '', 'nothing written to standard output');
  });

  it('refuses a malformed key', async () => {
    const result = await runCli(['decrypt', '--key', 'abc', encryptedFile]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /64 hexadecimal/);
  });
});
