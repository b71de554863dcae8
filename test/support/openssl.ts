import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Decrypts a customer file with the real openssl binary, exactly as the documentation tells customers:
 * `openssl enc -d -aes-256-cbc -K <key> -iv <first 16 bytes in hex>` on the rest of the file.
 */
export function opensslDecrypt(encrypted: Buffer, keyHex: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-openssl-'));
  try {
    const body = path.join(dir, 'body.bin');
    const out = path.join(dir, 'out.zip');
    writeFileSync(body, encrypted.subarray(16));
    const iv = encrypted.subarray(0, 16).toString('hex');
    execFileSync(
      'openssl',
      ['enc', '-d', '-aes-256-cbc', '-K', keyHex, '-iv', iv, '-in', body, '-out', out],
      {
        stdio: 'pipe',
      },
    );
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
