import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../domain/app-error.js';

/**
 * Where archived files live. Keys are relative paths (`2026/11/<run>.zip.pwm`); writes are atomic: a
 * reader or a crash never sees a half-written file under a key. An object store can implement the same
 * interface.
 */
export interface ArchiveStorage {
  /**
   * Writes the whole stream under `key`, replacing any previous file atomically. One writer per key at
   * a time (the run's lease holder): temporary files of the same key left by an earlier writer, which
   * died or lost its lease, are removed once the file is in place.
   */
  write(key: string, source: Readable): Promise<void>;
  read(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Removes temporary files left by writers that died: those last modified before `olderThan` (a live
   * writer modifies its file at every chunk).
   */
  removeAbandonedParts(olderThan: Date): Promise<number>;
}

const PART_SUFFIX = '.part';

/**
 * How long a temporary archive file may go unmodified before it counts as abandoned: far longer than
 * any pause of a live writer (which renews its run lease every 100 s), so another process starting or
 * purging never removes a file being written.
 */
export const ABANDONED_PART_AGE_MS = 3_600_000;

/** Archive in a local folder (`<data dir>/archive`): temporary `.part` file, fsync, rename, fsync dir. */
export class LocalArchiveStorage implements ArchiveStorage {
  constructor(private readonly root: string) {}

  private resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) {
      throw new AppError('INVALID_INPUT', `archive key "${key}" leaves the archive folder`);
    }
    return full;
  }

  async write(key: string, source: Readable): Promise<void> {
    const target = this.resolve(key);
    const dir = path.dirname(target);
    await mkdir(dir, { recursive: true });
    const part = `${target}.${randomBytes(6).toString('hex')}${PART_SUFFIX}`;
    try {
      await pipeline(source, createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      const handle = await open(part, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(part, target);
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    } catch (error) {
      await rm(part, { force: true });
      throw error;
    }
    await this.removeEarlierParts(target);
  }

  /** Best effort: `<file>.<random>.part` of the same key (not the key rotation's `.rekey.part`). */
  private async removeEarlierParts(target: string): Promise<void> {
    const name = path.basename(target);
    const entries = await readdir(path.dirname(target)).catch(() => [] as string[]);
    for (const entry of entries) {
      if (entry.startsWith(`${name}.`) && /^\.[0-9a-f]{12}\.part$/.test(entry.slice(name.length))) {
        await rm(path.join(path.dirname(target), entry), { force: true }).catch(() => undefined);
      }
    }
  }

  async read(key: string): Promise<Readable> {
    const file = this.resolve(key);
    try {
      await stat(file);
    } catch {
      throw new AppError('NOT_FOUND', `archived file ${key} is missing from the archive folder`);
    }
    return createReadStream(file);
  }

  async delete(key: string): Promise<void> {
    await rm(this.resolve(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.resolve(key));
      return true;
    } catch {
      return false;
    }
  }

  async removeAbandonedParts(olderThan: Date): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.endsWith(PART_SUFFIX)) {
          // Gone meanwhile: its writer renamed or removed it.
          const modified = await stat(full).then(
            (info) => info.mtime,
            () => undefined,
          );
          if (modified && modified < olderThan) {
            await rm(full, { force: true });
            removed++;
          }
        }
      }
    };
    await walk(this.root);
    return removed;
  }
}
