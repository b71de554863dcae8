import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { rotateMasterKey } from '../crypto/master-key-rotation.js';
import { shortCheckValue } from '../crypto/master-key-check.js';
import { AppError } from '../domain/app-error.js';
import { archiveRootOf, masterKeyName, openContext } from './context.js';

async function readNewKey(source: string): Promise<Buffer> {
  let text: string;
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new AppError(
        'NOT_FOUND',
        `${source}: cannot read the new key (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const trimmed = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    const from = source === '-' ? 'standard input' : source;
    throw new AppError('INVALID_INPUT', `${from}: the new key must be 64 hexadecimal characters (32 bytes)`);
  }
  return Buffer.from(trimmed, 'hex');
}

export function registerRotateMasterKeyCommand(program: Command): void {
  program
    .command('rotate-master-key')
    .description(
      're-seal every channel secret, customer key and archived file with a new master key, in place; ' +
        'the current key comes from PUBLIWATT_MASTER_KEY (or <data dir>/master.key). Stop every other ' +
        'process first; after a crash, run it again with the same keys to finish',
    )
    .requiredOption(
      '--new-key-file <file>',
      'file holding the new key (64 hexadecimal characters, e.g. from `openssl rand -hex 32`); - reads it from standard input',
    )
    .action(async (options: { newKeyFile: string }) => {
      const newKey = await readNewKey(options.newKeyFile);
      const { config, database, clock } = await openContext({ quiet: true });
      try {
        if (config.masterKeySource === 'generated') {
          // Nothing can be sealed with a key generated just now: the current key is missing.
          await rm(path.join(config.dataDir, 'master.key'), { force: true });
          throw new AppError(
            'INVALID_CONFIGURATION',
            'PUBLIWATT_MASTER_KEY: not set and no master.key in the data directory; set it to the key ' +
              'the database is sealed with',
            { variable: 'PUBLIWATT_MASTER_KEY' },
          );
        }
        const result = await rotateMasterKey({
          db: database.db,
          archiveRoot: archiveRootOf(config),
          currentKey: config.masterKey,
          currentKeyName: masterKeyName(config),
          newKey,
          clock,
        });
        const check = shortCheckValue(result.newCheckValue);
        if (result.alreadyDone) {
          process.stdout.write(`the database is already sealed with the new key (check value ${check})\n`);
        } else {
          process.stdout.write(
            `${result.resumed ? 'rotation resumed and finished' : 'rotation finished'}: ` +
              `${result.secrets} secret(s) and ${result.files} archived file(s) re-sealed; ` +
              `the database is sealed with the new key (check value ${check})\n`,
          );
        }
        process.stdout.write(
          'start every process with the new key: set PUBLIWATT_MASTER_KEY to it (or replace ' +
            `${config.dataDir}/master.key when the variable is not set)\n`,
        );
      } finally {
        await database.destroy();
      }
    });
}
