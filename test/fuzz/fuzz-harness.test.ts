import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namesPlace } from '../support/fuzz-oracle.js';
import { FuzzRandom } from '../support/fuzz-random.js';
import { buildZip, referenceRead, zipLayout, ZIP_FIELDS } from '../support/fuzz-zip.js';

// The fuzz suite's own pieces: a wrong oracle would hide what it is meant to find.
describe('import fuzz harness', () => {
  it('draws the same cases from the same seed', () => {
    const draws = (seed: number) => {
      const rng = FuzzRandom.forCase(seed, 17);
      return Array.from({ length: 5 }, () => rng.int(0, 1000));
    };
    assert.deepEqual(draws(42), draws(42));
    assert.notDeepEqual(draws(42), draws(43));
    assert.notDeepEqual(
      draws(42),
      (() => {
        const rng = FuzzRandom.forCase(42, 18);
        return Array.from({ length: 5 }, () => rng.int(0, 1000));
      })(),
    );
  });

  it('reads back an archive it wrote, and finds each lie a careful reader must refuse', () => {
    const content = Buffer.from('Identifiant PRM;Valeur\n'.repeat(200));
    const zip = buildZip([{ name: 'r63.csv', content }]);
    const [entry] = referenceRead(zip);
    assert.deepEqual(entry?.content, content);
    assert.equal(entry?.damage, undefined);

    const layout = zipLayout(zip)[0]!;
    const lie = (offset: number, value: number) => {
      const copy = Buffer.from(zip);
      copy.writeUInt32LE(value, offset);
      return referenceRead(copy)[0]!;
    };
    assert.match(lie(layout.central + ZIP_FIELDS.centralCrc, (layout.crc ^ 1) >>> 0).damage ?? '', /CRC/);
    assert.match(
      lie(layout.central + ZIP_FIELDS.centralUncompressedSize, layout.uncompressedSize + 1).damage ?? '',
      /size/,
    );
    assert.match(
      lie(layout.central + ZIP_FIELDS.centralCompressedSize, Math.floor(layout.compressedSize / 2)).damage ??
        '',
      /inflate|size|CRC/,
    );
    // With sizes in the central directory, a reader need not trust the local copy.
    assert.equal(lie(layout.local + ZIP_FIELDS.localUncompressedSize, 1).damage, undefined);

    const bomb = buildZip([{ name: 'bomb.json', content: Buffer.alloc(2_000_000, 0x20) }]);
    assert.ok(referenceRead(bomb)[0]!.ratio > 200);
  });

  it('calls a refusal placed when it names a line, a JSON path, a zip entry, the archive or the key', () => {
    const file = '/tmp/case-3/r63.zip';
    assert.ok(namesPlace(`${file}: line 17 (Pas): step "PT30M"`, file));
    assert.ok(namesPlace(`${file}/r63.json: $.mesures[3].grandeur[0].points[17].v: not an integer`, file));
    assert.ok(namesPlace(`${file}: file: no measurement found`, file));
    assert.ok(namesPlace(`${file}: damaged zip archive (invalid central directory)`, file));
    assert.ok(namesPlace('Le fichier ne peut pas être déchiffré avec cette clé.', file));
    assert.ok(!namesPlace('La requête contient une valeur invalide.', file));
    assert.ok(!namesPlace(`${file}: something went wrong`, file));
    assert.ok(!namesPlace('other.csv: line 3: bad', file));
  });
});
