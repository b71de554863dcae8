import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { decryptStream } from '../crypto/customer-cipher.js';
import { AppError } from '../domain/app-error.js';

function parseKey(value: string): Buffer {
  const trimmed = value.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    throw new InvalidArgumentError('the key must be 64 hexadecimal characters');
  }
  return Buffer.from(trimmed, 'hex');
}

/** A zip starts with a local file header (PK\3\4) or, when empty, the end-of-directory record (PK\5\6). */
async function looksLikeZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
  } finally {
    await handle.close();
  }
}

/**
 * Decrypts into a temporary file first: a wrong key is only detected at the end (padding), and neither
 * `-o <out>` nor standard output may ever receive a partial or garbage zip.
 */
async function decryptFile(key: Buffer, input: string, output: string | undefined): Promise<void> {
  await stat(input).catch((error: unknown) => {
    throw new AppError('NOT_FOUND', `cannot read ${input}: ${(error as Error).message}`);
  });
  const tempDir = output === undefined ? await mkdtemp(path.join(tmpdir(), 'publiwatt-decrypt-')) : undefined;
  const temp =
    output === undefined
      ? path.join(tempDir!, 'out.zip')
      : path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.${process.pid}.part`);
  try {
    await pipeline(createReadStream(input), decryptStream(key), createWriteStream(temp, { mode: 0o600 }));
    if (!(await looksLikeZip(temp))) {
      throw new AppError(
        'DECRYPTION_FAILED',
        'the file cannot be decrypted with this key (the result is not a zip archive)',
      );
    }
    if (output === undefined) await pipeline(createReadStream(temp), process.stdout, { end: false });
    else await rename(temp, output);
  } finally {
    await rm(tempDir ?? temp, { recursive: true, force: true });
  }
}

export function registerDecryptCommand(program: Command): void {
  program
    .command('decrypt')
    .description('decrypt a delivered file with the entreprise key (AES-256-CBC, IV in the first 16 bytes)')
    .requiredOption('--key <hex>', 'the encryption key shown on "Vos canaux numériques" (64 hex)', parseKey)
    .option('-o, --output <file>', 'write the zip there (default: standard output)')
    .argument('<file>', 'the encrypted file')
    .action(async (file: string, options: { key: Buffer; output?: string }) => {
      await decryptFile(options.key, file, options.output);
    });
}
