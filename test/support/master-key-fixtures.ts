import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { MasterCipher } from '../../src/crypto/master-cipher.js';
import { tryOpenString } from '../../src/crypto/master-key-check.js';
import { CustomerKeyRepository } from '../../src/db/customer-key.repository.js';
import type { Db } from '../../src/db/database.js';
import { SEALED_COLUMNS } from '../../src/db/master-key.repository.js';
import { LocalArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { PublicationArchive } from '../../src/publication/archive/publication-archive.js';

export const OLD_KEY = Buffer.alloc(32, 0x0a);
export const NEW_KEY = Buffer.alloc(32, 0x0b);
export const OTHER_KEY = Buffer.alloc(32, 0x0c);

const NOW = new Date('2026-03-01T00:00:00.000Z');

/** What was sealed, in clear: sealed strings by `<table>:<id>`, archived files by storage key. */
export interface SealedData {
  secrets: Map<string, string>;
  files: Map<string, Buffer>;
}

export async function insertEntreprise(db: Db, name: string): Promise<number> {
  const row = await db
    .insertInto('entreprise')
    .values({ name, created_at: NOW.toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An SFTP channel whose password is sealed with `cipher` (null: an e-mail channel, no secret). */
export async function insertChannel(db: Db, entrepriseId: number, sealed: string | null): Promise<number> {
  const row = await db
    .insertInto('channel')
    .values({
      entreprise_id: entrepriseId,
      kind: sealed === null ? 'email' : 'sftp',
      label: 'canal',
      email: sealed === null ? 'donnees@example.fr' : null,
      host: sealed === null ? null : 'sftp.example.fr',
      port: sealed === null ? null : 22,
      username: sealed === null ? null : 'depot',
      remote_dir: null,
      auth_kind: sealed === null ? null : 'password',
      secret_sealed: sealed,
      host_key_fingerprint: null,
      allow_self_signed: 0,
      insecure_acknowledged: 0,
      status: 'INACTIF',
      confirmation_token_hash: null,
      confirmation_expires_at: null,
      confirmed_at: null,
      last_test_at: null,
      last_test_ok: null,
      last_test_result: null,
      created_at: NOW.toISOString(),
      updated_at: NOW.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Two entreprises with three customer key versions, two channel passwords and an e-mail channel (no
 * secret), and `files` archived files over two months, all sealed with `key` through the product's own
 * code; plus a temporary part of an archive writer, which a rotation must leave alone.
 */
export async function seedSealedData(
  db: Db,
  archiveRoot: string,
  key: Buffer,
  options: { files?: number; fileBytes?: number } = {},
): Promise<SealedData> {
  const cipher = new MasterCipher(key);
  const secrets = new Map<string, string>();
  const alpha = await insertEntreprise(db, 'Gamma SA');
  const beta = await insertEntreprise(db, 'Delta SA');
  const keys = new CustomerKeyRepository(db);
  for (const [entreprise, version] of [
    [alpha, 1],
    [alpha, 2],
    [beta, 1],
  ] as const) {
    const plain = randomBytes(32).toString('hex');
    await keys.insert(entreprise, version, cipher.sealString(plain), NOW);
    const row = (await keys.byVersion(entreprise, version))!;
    secrets.set(`customer_key:${row.id}`, plain);
  }
  for (const entreprise of [alpha, beta]) {
    const plain = `mot-de-passe-${randomBytes(4).toString('hex')}`;
    secrets.set(`channel:${await insertChannel(db, entreprise, cipher.sealString(plain))}`, plain);
  }
  await insertChannel(db, alpha, null);
  const archive = new PublicationArchive(new LocalArchiveStorage(archiveRoot), cipher);
  const files = new Map<string, Buffer>();
  const count = options.files ?? 5;
  for (let i = 1; i <= count; i++) {
    const storageKey = `2026/${i <= count / 2 ? '02' : '03'}/run-${i}.zip.pwm`;
    const zip = randomBytes(options.fileBytes ?? 3000 + i * 777);
    await archive.put(storageKey, Readable.from([zip]));
    files.set(storageKey, zip);
  }
  await archive.put('2026/03/run-99.zip.pwm.0a1b2c3d4e5f.part', Readable.from([Buffer.from('en cours')]));
  return { secrets, files };
}

/** What opens with `key`: sealed strings by `<table>:<id>` and archived files by key, in clear. */
export async function openedWith(
  db: Db,
  archiveRoot: string,
  key: Buffer,
): Promise<{ secrets: Map<string, string>; files: Map<string, Buffer> }> {
  const cipher = new MasterCipher(key);
  const secrets = new Map<string, string>();
  for (const sealed of SEALED_COLUMNS) {
    const rows = await db
      .selectFrom(sealed.table)
      .select(['id', sealed.column])
      .execute()
      .then((list) => list as Array<Record<string, unknown>>);
    for (const row of rows) {
      const value = row[sealed.column] as string | null;
      if (value === null) continue;
      const plain = tryOpenString(cipher, value);
      if (plain !== undefined) secrets.set(`${sealed.table}:${String(row.id)}`, plain);
    }
  }
  const files = new Map<string, Buffer>();
  const archive = new PublicationArchive(new LocalArchiveStorage(archiveRoot), cipher);
  for (const storageKey of archivedKeys(archiveRoot)) {
    try {
      files.set(storageKey, await buffer(await archive.open(storageKey)));
    } catch {
      // sealed with another key
    }
  }
  return { secrets, files };
}

/** Every `.pwm` file under the archive folder, as storage keys. */
export function archivedKeys(archiveRoot: string): string[] {
  if (!existsSync(archiveRoot)) return [];
  return (readdirSync(archiveRoot, { recursive: true }) as string[])
    .map((entry) => entry.split(path.sep).join('/'))
    .filter((entry) => entry.endsWith('.pwm'))
    .sort();
}
