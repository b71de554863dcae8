import { createHmac } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db/database.js';
import { MasterKeyRepository, SEALED_COLUMNS, type MasterKeyRecord } from '../db/master-key.repository.js';
import { AppError } from '../domain/app-error.js';
import { MasterCipher } from './master-cipher.js';

const CHECK_LABEL = 'publiwatt master key check v1';
/** Archived files the first start tries, oldest first, before concluding there is none to open. */
const FILE_PROBES = 20;

/** HMAC-SHA256 of a fixed label under the key, in hex: names a key without revealing anything of it. */
export function masterKeyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update(CHECK_LABEL).digest('hex');
}

/** The first 16 hex characters of a check value: enough to tell keys apart in a message. */
export function shortCheckValue(checkValue: string): string {
  return checkValue.slice(0, 16);
}

export function isMasterKeyMismatch(error: unknown): boolean {
  return error instanceof AppError && error.code === 'MASTER_KEY_MISMATCH';
}

/** The plaintext, or undefined when the string was sealed with another key (or altered). */
export function tryOpenString(cipher: MasterCipher, sealed: string): string | undefined {
  try {
    return cipher.openString(sealed);
  } catch (error) {
    if (isMasterKeyMismatch(error)) return undefined;
    throw error;
  }
}

/** Reads a whole archived file through the cipher: GCM authenticates it at the end, so it is read to the end. */
export async function archivedFileOpens(cipher: MasterCipher, file: string): Promise<boolean> {
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  try {
    await pipeline(createReadStream(file), cipher.decryptStream(), discard);
    return true;
  } catch (error) {
    if (isMasterKeyMismatch(error)) return false;
    throw error;
  }
}

export interface MasterKeyGuardDeps {
  db: Db;
  key: Buffer;
  /** How messages name the key: `PUBLIWATT_MASTER_KEY` or the key file it came from. */
  keyName: string;
  /** The local archive folder (`<data dir>/archive`), where the first start opens one archived file. */
  archiveRoot: string;
  now: Date;
}

export function masterKeyMismatch(keyName: string, stored: string, own: string): AppError {
  return new AppError(
    'MASTER_KEY_MISMATCH',
    `${keyName} does not match the master key this database was sealed with (stored check value ` +
      `${shortCheckValue(stored)}, this key's ${shortCheckValue(own)}); start with the key it was sealed ` +
      'with (`publiwatt rotate-master-key` then changes it if needed)',
    { stored: shortCheckValue(stored), own: shortCheckValue(own) },
  );
}

export function rotationUnfinished(rotation: NonNullable<MasterKeyRecord['rotation']>): AppError {
  return new AppError(
    'MASTER_KEY_ROTATION_UNFINISHED',
    `a master key rotation is unfinished (started ${rotation.startedAt}, new key check value ` +
      `${shortCheckValue(rotation.checkValue)}); run \`publiwatt rotate-master-key\` again with the same ` +
      'new key to finish it before starting anything else',
    { next: shortCheckValue(rotation.checkValue) },
  );
}

/**
 * A database without a check value yet (created before the check existed) may already hold sealed
 * data: its oldest sealed value of each kind and its oldest archived file still on disk must open
 * with the key, or the key is refused and nothing is stored.
 */
async function verifyExistingData(deps: MasterKeyGuardDeps): Promise<void> {
  const cipher = new MasterCipher(deps.key);
  const repository = new MasterKeyRepository(deps.db);
  const refuse = (what: string) =>
    new AppError(
      'MASTER_KEY_MISMATCH',
      `${deps.keyName} does not open the data already sealed in this database (${what}); start with ` +
        'the key it was sealed with',
      { what },
    );
  for (const sealed of SEALED_COLUMNS) {
    const [oldest] = await repository.sealedBatch(sealed, 0, 1);
    if (oldest && tryOpenString(cipher, oldest.sealed) === undefined) {
      throw refuse(`${sealed.label} ${oldest.id}`);
    }
  }
  const root = path.resolve(deps.archiveRoot);
  for (const key of await repository.oldestArchiveKeys(FILE_PROBES)) {
    const file = path.resolve(root, key);
    if (!file.startsWith(root + path.sep) || !existsSync(file)) continue;
    if (!(await archivedFileOpens(cipher, file))) throw refuse(`archived file ${key}`);
    return;
  }
}

/**
 * The stored check value, stored first when the database has none: after verifying existing sealed
 * data against the key, insert-if-absent and read again, so two processes starting together on a
 * fresh database keep the same one (the loser is then checked against the winner's).
 */
export async function establishMasterKeyCheck(deps: MasterKeyGuardDeps): Promise<MasterKeyRecord> {
  const repository = new MasterKeyRepository(deps.db);
  const existing = await repository.read();
  if (existing) return existing;
  await verifyExistingData(deps);
  await repository.insertIfAbsent(masterKeyCheckValue(deps.key), deps.now);
  const stored = await repository.read();
  if (!stored) throw new AppError('INTERNAL', 'the master key check value was not stored');
  return stored;
}

/**
 * What every process that reads or writes sealed data runs right after migrations: the database must
 * be sealed with this key and no rotation may be under way. A refusal writes nothing.
 */
export async function checkMasterKey(deps: MasterKeyGuardDeps): Promise<void> {
  const record = await establishMasterKeyCheck(deps);
  if (record.rotation) throw rotationUnfinished(record.rotation);
  const own = masterKeyCheckValue(deps.key);
  if (record.checkValue !== own) throw masterKeyMismatch(deps.keyName, record.checkValue, own);
}
