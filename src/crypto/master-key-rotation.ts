import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { MasterKeyRepository, SEALED_COLUMNS } from '../db/master-key.repository.js';
import { AppError } from '../domain/app-error.js';
import { MasterCipher } from './master-cipher.js';
import {
  archivedFileOpens,
  establishMasterKeyCheck,
  isMasterKeyMismatch,
  masterKeyCheckValue,
  masterKeyMismatch,
  shortCheckValue,
  tryOpenString,
} from './master-key-check.js';

/** Rows re-sealed per transaction. */
const BATCH = 500;
/** Archived files end with this; everything else in the archive folder (temporary parts) is left alone. */
const ARCHIVE_SUFFIX = '.pwm';
/** Temporary files of this command, next to the file they replace; a later run removes what a crash left. */
const REKEY_PART_SUFFIX = '.rekey.part';

/** One item re-sealed with the new key. */
export type RotatedItem = { kind: 'secret'; label: string; id: number } | { kind: 'file'; key: string };

export interface MasterKeyRotationDeps {
  db: Db;
  /** The local archive folder (`<data dir>/archive`). */
  archiveRoot: string;
  /** The key everything is sealed with now, and how messages name it. */
  currentKey: Buffer;
  currentKeyName: string;
  newKey: Buffer;
  clock: Clock;
  /**
   * Called after each item is re-sealed and before its progress is recorded (inside its batch's
   * transaction for a row, after the rename for a file): throwing there is a crash at that point.
   */
  afterItem?: (item: RotatedItem) => void;
}

export interface MasterKeyRotationResult {
  /** Already sealed with the new key, nothing done. */
  alreadyDone: boolean;
  /** A previous run had started this rotation. */
  resumed: boolean;
  secrets: number;
  files: number;
  newCheckValue: string;
}

/**
 * Re-seals, in place, every secret sealed with the master key (`SEALED_COLUMNS`) and every archived
 * file with a new key, then makes the new key's check value the database's. Resumable after a crash at
 * any point: the rotation record (new check value, last file done) is written before anything is
 * re-sealed, rows are re-sealed one transaction per batch, files through a `.part` file, fsync and
 * rename; an item is recognised as done by opening with the new key (AES-GCM authenticates, so a
 * wrong key never opens). Every other process refuses to start until the rotation has finished.
 * The platform is stopped meanwhile: nothing else writes sealed data.
 */
export async function rotateMasterKey(deps: MasterKeyRotationDeps): Promise<MasterKeyRotationResult> {
  const current = masterKeyCheckValue(deps.currentKey);
  const next = masterKeyCheckValue(deps.newKey);
  const record = await establishMasterKeyCheck({
    db: deps.db,
    key: deps.currentKey,
    keyName: deps.currentKeyName,
    archiveRoot: deps.archiveRoot,
    now: deps.clock.now(),
  });
  const repository = new MasterKeyRepository(deps.db);
  const result = { alreadyDone: false, resumed: false, secrets: 0, files: 0, newCheckValue: next };
  let cursor: string | null = null;
  if (record.rotation === null) {
    // Also what a run after the end finds, whichever of the two keys is configured by then.
    if (record.checkValue === next) return { ...result, alreadyDone: true };
    if (record.checkValue !== current)
      throw masterKeyMismatch(deps.currentKeyName, record.checkValue, current);
    await repository.startRotation(current, next, deps.clock.now());
  } else {
    if (record.rotation.checkValue !== next) {
      throw new AppError(
        'MASTER_KEY_ROTATION_UNFINISHED',
        `a rotation to another master key (check value ${shortCheckValue(record.rotation.checkValue)}) is ` +
          'unfinished; run `publiwatt rotate-master-key` with that key to finish it',
        { next: shortCheckValue(record.rotation.checkValue) },
      );
    }
    if (record.checkValue !== current)
      throw masterKeyMismatch(deps.currentKeyName, record.checkValue, current);
    result.resumed = true;
    cursor = record.rotation.fileCursor;
  }
  const from = new MasterCipher(deps.currentKey);
  const to = new MasterCipher(deps.newKey);
  result.secrets = await resealSecrets(deps, from, to);
  result.files = await resealFiles(deps, repository, from, to, next, cursor);
  await repository.finishRotation(next);
  return result;
}

async function resealSecrets(
  deps: MasterKeyRotationDeps,
  from: MasterCipher,
  to: MasterCipher,
): Promise<number> {
  let count = 0;
  for (const sealed of SEALED_COLUMNS) {
    let afterId = 0;
    for (;;) {
      const resealed = await deps.db.transaction().execute(async (trx) => {
        const repository = new MasterKeyRepository(trx);
        const rows = await repository.sealedBatch(sealed, afterId, BATCH);
        let done = 0;
        for (const row of rows) {
          if (tryOpenString(to, row.sealed) !== undefined) continue; // re-sealed by an earlier run
          const plain = tryOpenString(from, row.sealed);
          if (plain === undefined) {
            throw new AppError(
              'MASTER_KEY_MISMATCH',
              `${sealed.label} ${row.id} opens with neither the current nor the new master key ` +
                '(altered, or sealed with a third key); replace it, then run the command again',
              { what: `${sealed.label} ${row.id}` },
            );
          }
          await repository.replaceSealed(sealed, row.id, row.sealed, to.sealString(plain));
          done++;
          deps.afterItem?.({ kind: 'secret', label: sealed.label, id: row.id });
        }
        return { rows, done };
      });
      count += resealed.done;
      if (resealed.rows.length < BATCH) break;
      afterId = resealed.rows[resealed.rows.length - 1]!.id;
    }
  }
  return count;
}

async function resealFiles(
  deps: MasterKeyRotationDeps,
  repository: MasterKeyRepository,
  from: MasterCipher,
  to: MasterCipher,
  next: string,
  cursor: string | null,
): Promise<number> {
  const { files, parts } = await listArchive(deps.archiveRoot);
  // The platform is stopped: a part of this command found now was left by a run that died.
  for (const part of parts) await rm(path.join(deps.archiveRoot, part), { force: true });
  let count = 0;
  for (const key of files) {
    if (cursor !== null && key <= cursor) continue;
    if (await resealFile(path.join(deps.archiveRoot, key), key, from, to)) {
      count++;
      deps.afterItem?.({ kind: 'file', key });
    }
    await repository.saveFileCursor(next, key);
  }
  return count;
}

/** Re-seals one file; false when it already opens with the new key (renamed just before a crash). */
async function resealFile(file: string, key: string, from: MasterCipher, to: MasterCipher): Promise<boolean> {
  const part = `${file}.${randomBytes(6).toString('hex')}${REKEY_PART_SUFFIX}`;
  try {
    await pipeline(
      createReadStream(file),
      from.decryptStream(),
      to.encryptStream(),
      createWriteStream(part, { flags: 'wx', mode: 0o600 }),
    );
    await fsync(part);
    await rename(part, file);
    await fsync(path.dirname(file));
    return true;
  } catch (error) {
    await rm(part, { force: true });
    if (!isMasterKeyMismatch(error)) throw error;
    if (await archivedFileOpens(to, file)) return false;
    throw new AppError(
      'MASTER_KEY_MISMATCH',
      `archived file ${key} opens with neither the current nor the new master key (altered, or sealed ` +
        'with a third key); move it out of the archive folder, then run the command again',
      { what: `archived file ${key}` },
    );
  }
}

async function fsync(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Archived files and this command's leftover parts, as `/`-separated paths relative to the root, sorted. */
async function listArchive(root: string): Promise<{ files: string[]; parts: string[] }> {
  const files: string[] = [];
  const parts: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(key);
      else if (entry.name.endsWith(ARCHIVE_SUFFIX)) files.push(key);
      else if (entry.name.endsWith(REKEY_PART_SUFFIX)) parts.push(key);
    }
  };
  await walk('');
  // Plain code-unit order, the order the cursor compares in.
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, parts };
}
