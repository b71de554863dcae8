import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { collectText, r64Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR64Csv } from '../formats/r64-csv.writer.js';
import { writeZip } from './zip.writer.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function* chunks(count: number, size = 32 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++)
    yield Buffer.from(`${String(i).padStart(8, '0')};`.repeat(size / 9), 'utf8');
}

interface Unzipped {
  name: string;
  content: Buffer;
  dosDate: number;
  dosTime: number;
}

function unzipWithYauzl(zip: Buffer): Promise<Unzipped[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error) return reject(error);
      const found: Unzipped[] = [];
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          bytesOf(stream).then((content) => {
            found.push({
              name: entry.fileName,
              content,
              dosDate: entry.lastModFileDate,
              dosTime: entry.lastModFileTime,
            });
            file.readEntry();
          }, reject);
        });
      });
      file.on('end', () => resolve(found));
      file.on('error', reject);
      file.readEntry();
    });
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'publiwatt-zip-'));
after(() => rmSync(work, { recursive: true, force: true }));

const NAME = 'Enedis_R63A_Q_CdC_M0000KY0_00001_20231029023000.json';
// 2023-10-29 01:30 UTC = 02:30 local, the second time (CET) on the autumn day.
const HORODATE = new Date('2023-10-29T01:30:00Z');

describe('zip writer', () => {
  it('holds one deflated file that yauzl reads back intact, stamped with the Paris wall clock', async () => {
    const inner = await bytesOf(Readable.from(chunks(20)));
    const zip = await bytesOf(writeZip(NAME, chunks(20), HORODATE));
    assert.ok(zip.length < inner.length / 4, 'the content is compressed');
    const [entry, ...rest] = await unzipWithYauzl(zip);
    assert.equal(rest.length, 0);
    assert.equal(entry!.name, NAME);
    assert.ok(entry!.content.equals(inner));
    assert.equal(entry!.dosDate, ((2023 - 1980) << 9) | (10 << 5) | 29);
    assert.equal(entry!.dosTime, (2 << 11) | (30 << 5));
  });

  it('produces the same bytes for the same input and horodate, whatever the time zone of the process', async () => {
    const previous = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const a = await bytesOf(writeZip(NAME, chunks(5), HORODATE));
      process.env.TZ = 'Pacific/Auckland';
      const b = await bytesOf(writeZip(NAME, Readable.from(chunks(5)), HORODATE));
      assert.equal(
        createHash('sha256').update(a).digest('hex'),
        createHash('sha256').update(b).digest('hex'),
      );
      const c = await bytesOf(writeZip(NAME, chunks(5), new Date(HORODATE.getTime() + 2000)));
      assert.notDeepEqual(a, c, 'the horodate is in the bytes');
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });

  it('is read by the system unzip too', async (t) => {
    if (spawnSync('unzip', ['-v']).error) {
      // Installing Info-ZIP for one check is not worth it; yauzl above covers the format.
      t.diagnostic('unzip not installed; checked with yauzl only');
      return;
    }
    const zipPath = path.join(work, 'a.zip');
    writeFileSync(zipPath, await bytesOf(writeZip(NAME, chunks(3), HORODATE)));
    const test = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    const extract = spawnSync('unzip', ['-o', '-d', work, zipPath], { encoding: 'utf8' });
    assert.equal(extract.status, 0, extract.stderr);
    const expected = await bytesOf(Readable.from(chunks(3)));
    assert.ok(readFileSync(path.join(work, NAME)).equals(expected));
  });

  it('fails the zip stream when the content fails, leaving no archive that looks complete', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"header":');
      throw new Error('store went away');
    }
    await assert.rejects(bytesOf(writeZip(NAME, failing(), HORODATE)), /store went away/);
  });

  it('streams: pulls content only as the consumer reads the archive', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced++;
        yield randomBytes(64 * 1024);
      }
    }
    const zip = writeZip(NAME, endless(), HORODATE);
    let read = 0;
    for await (const chunk of zip) {
      read += (chunk as Buffer).length;
      if (read > 256 * 1024) break;
    }
    const atStop = produced;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(produced - atStop <= 2, `kept producing after the consumer stopped (${atStop} → ${produced})`);
  });
});

/** The archive yazl 3 writes for one streamed entry, with the Paris wall clock as the process time. */
async function yazlZip(name: string, content: readonly Buffer[], mtime: Date): Promise<Buffer> {
  const previous = process.env.TZ;
  process.env.TZ = 'Europe/Paris';
  try {
    const zip = new ZipFile();
    zip.addReadStream(Readable.from(content), name, { mtime, compress: true, mode: 0o100644 });
    zip.end();
    return await bytesOf(zip.outputStream as Readable);
  } finally {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  }
}

describe('zip writer, dropped before reading', () => {
  it('destroys its content stream when the archive is destroyed before its first byte', async () => {
    const inner = Readable.from(chunks(3));
    const zip = writeZip(NAME, inner, HORODATE);
    zip.destroy();
    await new Promise((resolve) => zip.once('close', resolve));
    assert.ok(inner.destroyed);
  });
});

describe('zip writer bytes', () => {
  const text = Buffer.from(
    Array.from({ length: 50_000 }, (_, i) => `{"v":"${(i * 7919) % 977}","d":"2025-06-10 10:00:00"}`).join(
      ',',
    ),
  );
  const cases: Array<[string, Buffer[]]> = [
    ['no content', []],
    ['one chunk', [text]],
    [
      '64 KiB chunks',
      Array.from({ length: Math.ceil(text.length / 65536) }, (_, i) =>
        text.subarray(i * 65536, (i + 1) * 65536),
      ),
    ],
    [
      'uneven chunks',
      Array.from({ length: Math.ceil(text.length / 999) }, (_, i) => text.subarray(i * 999, (i + 1) * 999)),
    ],
    ['incompressible content', [randomBytes(200_000)]],
  ];
  for (const [label, content] of cases) {
    it(`are those of yazl for the same entry (${label})`, async () => {
      for (const name of [NAME, 'Relevé_été.csv']) {
        const ours = await bytesOf(writeZip(name, Readable.from(content), HORODATE));
        assert.ok(ours.equals(await yazlZip(name, content, HORODATE)), `${label}, ${name}`);
      }
    });
  }

  it('do not depend on how the content is cut into chunks', async () => {
    const whole = await bytesOf(writeZip(NAME, Readable.from([text]), HORODATE));
    const cut = await bytesOf(writeZip(NAME, Readable.from(cases[3]![1]), HORODATE));
    assert.ok(whole.equals(cut));
  });
});

describe('zip writer with an R6X writer', () => {
  it('packs a CSV file as the writer streams it', async () => {
    const header = r6xHeader('R64B');
    const blocks = [r64Block('04586283707648', 'B'), r64Block('04586283707649', 'B')];
    const expected = await collectText(writeR64Csv(header, blocks));
    const [entry] = await unzipWithYauzl(
      await bytesOf(writeZip(NAME, writeR64Csv(header, blocks), HORODATE)),
    );
    assert.equal(entry!.content.toString('utf8'), expected);
  });
});
