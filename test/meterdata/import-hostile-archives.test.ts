import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { r63Csv, r63Json } from '../../src/bench/r6x-sample-files.js';
import { loadConfig } from '../../src/config.js';
import { encryptStream } from '../../src/crypto/customer-cipher.js';
import { PrmRepository, type PrmRecord } from '../../src/db/prm.repository.js';
import { AppError } from '../../src/domain/app-error.js';
import { generatePrmDay } from '../../src/meterdata/generator.js';
import { importMeasurementFile, type ImportOptions } from '../../src/meterdata/import/measurement-import.js';
import { cliEnv, runCli } from '../support/cli.js';
import { describeEachEngine } from '../support/databases.js';
import { rejection, storedVersions } from '../support/measurement-snapshot.js';
import { prmNumber, seedEntreprise } from '../support/registry-fixtures.js';
import { bearer, seedOperator, startTestServer, type TestServer } from '../support/web.js';
import {
  centralFields,
  rawZip,
  spacesBomb,
  storedEntry,
  withCentralField,
  withCentralNameLength,
  withCorruptDeflate,
  zipOf,
} from '../support/zip-tampering.js';

const PRM = prmNumber(1, '710');
const KEY = Buffer.alloc(32, 0x5c);
const NOW = new Date('2026-03-02T09:00:00Z');
const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-hostile-'));

function file(name: string, content: string | Buffer): string {
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return full;
}

async function encrypted(content: Buffer): Promise<Buffer> {
  return buffer(Readable.from([content]).pipe(encryptStream(KEY)));
}

interface RejectedBody {
  code: string;
  message: string;
  errors?: string[];
}

describeEachEngine('hostile and damaged measurement archives', (ctx) => {
  let server: TestServer;
  let base: string;
  let operator: Record<string, string>;
  let prm: PrmRecord;
  /** A valid R63 CSV of a day not imported yet: any file built from it would change rows if accepted. */
  let csv: string;

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Archives SA', prms: 1, category: 'A', prefix: '710' });
    prm = (await new PrmRepository(ctx.handle.db).find(PRM))!;
    server = await startTestServer(ctx.handle);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    operator = bearer(await seedOperator(ctx.handle, 'exploitation@distributeur.fr'));
    const stored = await importFile(file('stored.csv', curvesCsv('2026-02-01')));
    assert.ok(stored.curveDaysChanged > 0, 'rows to compare against');
    csv = curvesCsv('2026-02-02');
  });
  after(() => server.app.close());

  function curvesCsv(day: string): string {
    return r63Csv(generatePrmDay(prm, day, 5, true).curves, 'A');
  }

  function importFile(full: string, options: Partial<ImportOptions> = {}) {
    return importMeasurementFile(ctx.handle.db, full, {
      fileName: path.basename(full),
      now: NOW,
      ...options,
    });
  }

  /** Every stored version of every measurement key: equal snapshots mean no row changed. */
  const measurementRows = () => storedVersions(ctx.handle.db);

  /**
   * Posts the body to the real server over a socket, expects a refusal, and checks that the server still
   * answers and that no measurement row changed.
   */
  async function postRefused(
    body: Buffer,
    fileName: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: RejectedBody }> {
    const rowsBefore = await measurementRows();
    server.clock.advance(60_000);
    const response = await fetch(`${base}/api/v1/measurements?fileName=${encodeURIComponent(fileName)}`, {
      method: 'POST',
      headers: { ...operator, 'content-type': 'application/zip', ...headers },
      body,
      // A server that never answers fails the test instead of hanging it.
      signal: AbortSignal.timeout(30_000),
    });
    const answer = { status: response.status, body: (await response.json()) as RejectedBody };
    const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(health.status, 200, 'the server still answers');
    assert.deepEqual(await measurementRows(), rowsBefore, 'no measurement row changed');
    return answer;
  }

  function assertRejected(answer: { status: number; body: RejectedBody }, pattern: RegExp): void {
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'IMPORT_REJECTED');
    assert.equal(answer.body.errors?.length, 1, JSON.stringify(answer.body));
    assert.match(answer.body.errors[0]!, pattern);
  }

  it('refuses over HTTP a zip whose deflate data is damaged, and keeps serving', async () => {
    const corrupt = withCorruptDeflate(await zipOf([{ name: 'R63_fevrier.csv', content: csv }]));
    assertRejected(
      await postRefused(corrupt, 'corrupt.zip'),
      /^corrupt\.zip: entry "R63_fevrier\.csv": damaged compressed data at byte \d+ \(.+\)$/,
    );
  });

  it('refuses over HTTP a zip whose central directory declares a false size, either way', async () => {
    const zip = await zipOf([{ name: 'R63.csv', content: csv }]);
    const size = centralFields(zip).uncompressedSize;
    assertRejected(
      await postRefused(withCentralField(zip, 'uncompressedSize', size - 100), 'short.zip'),
      new RegExp(
        `^short\\.zip: entry "R63\\.csv": inflates past the ${size - 100} bytes its header declares`,
      ),
    );
    assertRejected(
      await postRefused(withCentralField(zip, 'uncompressedSize', size + 100), 'long.zip'),
      new RegExp(
        `^long\\.zip: entry "R63\\.csv": holds ${size} bytes, not the ${size + 100} its header declares`,
      ),
    );
    assertRejected(
      await postRefused(
        withCentralField(zip, 'compressedSize', centralFields(zip).compressedSize - 40),
        'cut.zip',
      ),
      /^cut\.zip: entry "R63\.csv": damaged compressed data at byte \d+ \(unexpected end of file\)$/,
    );
  });

  it('refuses over HTTP a zip bomb from its declared sizes, with the default ratio', async () => {
    // 1 GiB of spaces inside a JSON array, from about 1 MiB: what exhausted the server's memory.
    const header = '{"header":{"codeFlux":"R63A"},"mesures":[';
    const bomb = rawZip([
      { name: 'R63.json', data: spacesBomb(header, 1024), method: 8, crc32: 0, uncompressedSize: 1024 * MiB },
    ]);
    assert.ok(bomb.length < 1.2 * MiB);
    const answer = await postRefused(bomb, 'bomb.zip');
    assertRejected(
      answer,
      /^bomb\.zip: entry "R63\.json": declares 1073741824 bytes from \d+ compressed \(ratio 1\d{3}:1, above the limit of 200:1\)$/,
    );
    // The same content in a real zip (honest sizes and CRC) is refused the same way.
    const spaces = `${header}${' '.repeat(4 * MiB)}]}`;
    assertRejected(
      await postRefused(await zipOf([{ name: 'R63.json', content: spaces }]), 'spaces.zip'),
      new RegExp(
        `^spaces\\.zip: entry "R63\\.json": declares ${spaces.length} bytes from \\d+ compressed ` +
          '\\(ratio \\d+:1, above the limit of 200:1\\)$',
      ),
    );
  });

  it('refuses over HTTP a zip bomb whose header lies, as soon as the content passes the declared size', async () => {
    // Declares a 1 MiB JSON; inflates to 1 GiB (blanks the JSON reader takes without complaint).
    const header = '{"header":{"codeFlux":"R63A"},"mesures":[';
    const bomb = rawZip([
      { name: 'R63.json', data: spacesBomb(header, 1024), method: 8, crc32: 0, uncompressedSize: MiB },
    ]);
    const answer = await postRefused(bomb, 'liar.zip');
    assertRejected(
      answer,
      /^liar\.zip: entry "R63\.json": inflates past the 1048576 bytes its header declares \(at \d+\)$/,
    );
    // Stopped at the first chunk past the declared size, not after inflating the GiB.
    const at = Number(/\(at (\d+)\)$/.exec(answer.body.errors![0]!)![1]);
    assert.ok(at > MiB && at <= MiB + 64 * 1024, `stopped at ${at}`);
  });

  it('refuses a zip above the configured size or ratio limits', async () => {
    const bytes = await zipOf([{ name: 'R63.csv', content: csv }]);
    const { uncompressedSize, compressedSize } = centralFields(bytes);
    const zip = file('big.zip', bytes);
    const bySize = await rejection(importFile(zip, { limits: { maxUncompressedBytes: 16 * 1024 } }));
    assert.equal(bySize.code, 'IMPORT_REJECTED');
    assert.equal(
      bySize.detail,
      `big.zip: entry "R63.csv": declares ${uncompressedSize} bytes, above the limit of 16384 bytes`,
    );
    assert.equal(bySize.params.file, 'big.zip');
    const byRatio = await rejection(importFile(zip, { limits: { maxCompressionRatio: 2 } }));
    assert.match(
      byRatio.detail,
      new RegExp(
        `^big\\.zip: entry "R63\\.csv": declares ${uncompressedSize} bytes from ${compressedSize} compressed \\(ratio \\d+:1, above the limit of 2:1\\)$`,
      ),
    );
    // Within the limits the same file imports.
    const accepted = await importFile(zip, { limits: { maxUncompressedBytes: uncompressedSize } });
    assert.ok(accepted.curveDaysChanged > 0);
  });

  it('refuses a zip whose CRC-32 does not match its content, and stores nothing', async () => {
    const zip = await zipOf([{ name: 'R63.csv', content: curvesCsv('2026-02-03') }]);
    const { crc32 } = centralFields(zip);
    const before = await measurementRows();
    const error = await rejection(importFile(file('crc.zip', withCentralField(zip, 'crc32', crc32 ^ 1))));
    assert.equal(error.code, 'IMPORT_REJECTED');
    assert.match(
      error.detail,
      /^crc\.zip: entry "R63\.csv": CRC-32 [0-9a-f]{8} of the content, [0-9a-f]{8} in its header/,
    );
    assert.deepEqual(error.params.messages, error.detail);
    assert.deepEqual(await measurementRows(), before);
  });

  it('refuses a zip whose directory gives its entry no name, and stores nothing', async () => {
    const zip = rawZip([storedEntry('R63.csv', curvesCsv('2026-02-03'))]);
    const before = await measurementRows();
    const error = await rejection(importFile(file('nameless.zip', withCentralNameLength(zip, 0))));
    assert.equal(error.code, 'IMPORT_REJECTED');
    assert.match(error.detail, /^nameless\.zip: its entry has no name/);
    assert.deepEqual(await measurementRows(), before);
  });

  it('takes exactly one data file per archive: directories ignored, two files refused by name', async () => {
    const nested = await importFile(
      file(
        'dirs.zip',
        await zipOf([{ name: 'R63/' }, { name: 'R63/fevrier.csv', content: curvesCsv('2026-02-04') }]),
      ),
    );
    assert.deepEqual(
      nested.parts.map((p) => p.file),
      ['dirs.zip/R63/fevrier.csv'],
    );
    const two = await rejection(
      importFile(
        file(
          'two.zip',
          await zipOf([
            { name: 'a.csv', content: curvesCsv('2026-02-05') },
            { name: 'b.csv', content: curvesCsv('2026-02-06') },
          ]),
        ),
      ),
    );
    assert.equal(two.code, 'IMPORT_REJECTED');
    assert.equal(
      two.detail,
      'two.zip: holds 2 files ("a.csv", "b.csv"); an archive must hold exactly one R63/R64 file',
    );
    const none = await rejection(importFile(file('none.zip', await zipOf([{ name: 'empty/' }]))));
    assert.equal(none.detail, 'none.zip: holds no file; an archive must hold exactly one R63/R64 file');
  });

  it('refuses an archive nested in the archive, by name or by content', async () => {
    const inner = await zipOf([{ name: 'R63.csv', content: csv }]);
    const byName = await rejection(
      importFile(file('outer.zip', await zipOf([{ name: 'inner.ZIP', content: inner }]))),
    );
    assert.equal(byName.code, 'IMPORT_REJECTED');
    assert.match(byName.detail, /^outer\.zip: entry "inner\.ZIP": a zip archive inside the archive/);
    const byContent = await rejection(
      importFile(file('disguised.zip', await zipOf([{ name: 'R63.csv', content: inner }]))),
    );
    assert.match(byContent.detail, /^disguised\.zip: entry "R63\.csv": a zip archive inside the archive/);
  });

  it('refuses a wrong key, a truncated and a misaligned encrypted file, naming the file', async () => {
    const sealed = await encrypted(await zipOf([{ name: 'R63.csv', content: csv }]));
    const wrongKey = await rejection(importFile(file('wrong.enc', sealed), { key: Buffer.alloc(32, 0x01) }));
    assert.equal(wrongKey.code, 'DECRYPTION_FAILED');
    assert.match(wrongKey.detail, /^wrong\.enc: /);
    assert.equal(wrongKey.params.file, 'wrong.enc');

    const misaligned = await rejection(
      importFile(file('cut.enc', sealed.subarray(0, sealed.length - 5)), { key: KEY }),
    );
    assert.equal(misaligned.code, 'DECRYPTION_FAILED');
    assert.match(misaligned.detail, /^cut\.enc: .*not a multiple of 16 bytes/);

    // Cut on a block boundary: the padding of the last block read is wrong.
    const truncated = await rejection(
      importFile(file('short.enc', sealed.subarray(0, sealed.length - 32)), { key: KEY }),
    );
    assert.equal(truncated.code, 'DECRYPTION_FAILED');
    assert.match(truncated.detail, /^short\.enc: /);

    const tiny = await rejection(importFile(file('tiny.enc', sealed.subarray(0, 10)), { key: KEY }));
    assert.match(tiny.detail, /^tiny\.enc: .*shorter than its 16-byte IV/);

    const overHttp = await postRefused(sealed.subarray(0, sealed.length - 5), 'http.enc', {
      'x-encryption-key': KEY.toString('hex'),
    });
    assert.equal(overHttp.status, 400);
    assert.equal(overHttp.body.code, 'DECRYPTION_FAILED');
    assert.match(overHttp.body.errors?.[0] ?? '', /^http\.enc: .*not a multiple of 16 bytes/);
  });

  it('accepts a UTF-8 byte order mark in JSON as in CSV, plain, deflated or stored in a zip', async () => {
    const json = r63Json(generatePrmDay(prm, '2026-02-07', 5, true).curves, 'A');
    const plainJson = await importFile(file('bom.json', `\uFEFF${json}`));
    assert.deepEqual(
      plainJson.parts.map((p) => p.format),
      ['JSON'],
    );
    assert.ok(plainJson.curveDaysChanged > 0);
    const zippedJson = await importFile(
      file('bom-json.zip', await zipOf([{ name: 'R63.json', content: `\uFEFF${json}` }])),
    );
    assert.equal(zippedJson.curveDaysChanged, 0, 'same content as the plain file');
    const plainCsv = await importFile(file('bom.csv', `\uFEFF${curvesCsv('2026-02-08')}`));
    assert.deepEqual(
      plainCsv.parts.map((p) => p.format),
      ['CSV'],
    );
    assert.ok(plainCsv.curveDaysChanged > 0);
    const zippedCsv = await importFile(
      file('bom-csv.zip', rawZip([storedEntry('R63.csv', `\uFEFF${curvesCsv('2026-02-08')}`)])),
    );
    assert.equal(zippedCsv.curveDaysChanged, 0, 'same content as the plain file');
  });

  it('takes the bulk-feed flag as true or false, from the query or the header', async () => {
    const post = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/v1/measurements?fileName=feed.csv${query}`, {
        method: 'POST',
        headers: { ...operator, 'content-type': 'text/csv', ...headers },
        body: curvesCsv('2026-02-09'),
        signal: AbortSignal.timeout(30_000),
      });
    assert.equal((await post('&bulkFeed=true')).status, 200);
    assert.equal((await post('', { 'x-bulk-feed': 'true' })).status, 200);
    const refused = await post('&bulkFeed=yes');
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as RejectedBody).code, 'INVALID_INPUT');
    assert.equal((await post('', { 'x-bulk-feed': '1' })).status, 400);
  });

  it('prints one line and exits 1 when the CLI imports a damaged zip', async () => {
    const corrupt = file(
      'cli-corrupt.zip',
      withCorruptDeflate(await zipOf([{ name: 'R63.csv', content: csv }])),
    );
    const result = await runCli(['import', corrupt], cliEnv({ PUBLIWATT_DATABASE_URL: ctx.url }));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^publiwatt: IMPORT_REJECTED: .*cli-corrupt\.zip: entry "R63\.csv": damaged compressed data at byte \d+ \(.+\)\n$/,
    );
  });
});

describe('archive limits configuration', () => {
  const env = {
    PUBLIWATT_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'publiwatt-limits-')),
    PUBLIWATT_MASTER_KEY: 'ab'.repeat(32),
  };

  it('reads both archive limits from the environment, and leaves them unset by default', () => {
    assert.deepEqual(loadConfig(env).importLimits, {});
    assert.deepEqual(
      loadConfig({
        ...env,
        PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES: '1073741824',
        PUBLIWATT_IMPORT_MAX_ZIP_RATIO: '50',
      }).importLimits,
      { maxUncompressedBytes: 1073741824, maxCompressionRatio: 50 },
    );
  });

  it('rejects an invalid limit by the name of its variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES: '1e9' }, /^PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES: /],
      [{ PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES: '0' }, /^PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES: /],
      [{ PUBLIWATT_IMPORT_MAX_ZIP_RATIO: 'ten' }, /^PUBLIWATT_IMPORT_MAX_ZIP_RATIO: /],
      [{ PUBLIWATT_IMPORT_MAX_ZIP_RATIO: '0.5' }, /^PUBLIWATT_IMPORT_MAX_ZIP_RATIO: /],
    ];
    for (const [extra, expected] of cases) {
      assert.throws(
        () => loadConfig({ ...env, ...extra }),
        (error: unknown) =>
          error instanceof AppError && error.code === 'INVALID_CONFIGURATION' && expected.test(error.detail),
      );
    }
  });
});
