import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectText, curveDay, r63Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR63Json } from './r63-json.writer.js';
import type { R63Point, R63PrmBlock } from './r6x.types.js';

interface Point {
  v: string;
  d: string;
  p: string;
  n: string;
  tc?: string;
  iv: number | null;
  ec: number | null;
}
interface File {
  header: Record<string, string>;
  echeances: Record<string, string>;
  mesures: {
    idPrm: string;
    etapeMetier: string;
    periode: { dateDebut: string; dateFin: string };
    modeCalcul: string;
    grandeur: { grandeurMetier: string; grandeurPhysique: string; unite: string; points: Point[] }[];
  }[];
}

async function r63(codeFlux: 'R63A' | 'R63B', blocks: R63PrmBlock[]): Promise<File> {
  return JSON.parse(await collectText(writeR63Json(r6xHeader(codeFlux), blocks))) as File;
}

describe('R63 JSON writer', () => {
  it('writes the header in the guide order with its fixed values', async () => {
    const text = await collectText(writeR63Json(r6xHeader('R63A'), []));
    assert.equal(
      text,
      '{"header":{"siDemandeur":"LINCS","typeDestinataire":"ENTREPRISE","idDestinataire":"356000000",' +
        '"codeFlux":"R63A","idDemande":"M0000KY0","modePublication":"Q","format":"JSON","idPublication":"44760",' +
        '"publicationCrp":"non"},"echeances":{"type":"immediat"},"mesures":[]}',
    );
  });

  it('writes echeances fields only for the types that have them', async () => {
    const fil = r6xHeader('R63A', {
      echeances: { type: 'filEau', horodateDebutPublication: '2023-09-22 02:00:00', frequence: '2H' },
    });
    const text = await collectText(writeR63Json(fil, []));
    assert.match(
      text,
      /"echeances":\{"type":"filEau","horodateDebutPublication":"2023-09-22 02:00:00","frequence":"2H"\}/,
    );
  });

  it('writes a PRM block: window as periode, modeCalcul MESURE, unit from the physical quantity', async () => {
    const file = await r63('R63A', [r63Block('30002340305522', 'A', { reactive: true })]);
    const m = file.mesures[0]!;
    assert.equal(m.idPrm, '30002340305522');
    assert.equal(m.etapeMetier, 'BRUT');
    assert.deepEqual(m.periode, { dateDebut: '2023-09-19 00:00:00', dateFin: '2023-09-20 00:00:00' });
    assert.equal(m.modeCalcul, 'MESURE');
    assert.deepEqual(
      m.grandeur.map((g) => [g.grandeurMetier, g.grandeurPhysique, g.unite, g.points.length]),
      [
        ['CONS', 'PA', 'W', 288],
        ['CONS', 'PRI', 'VAr', 288],
      ],
    );
  });

  it('writes category A points like the guide example: v a rounded string, iv and ec null, no tc in BRUT', async () => {
    const text = await collectText(writeR63Json(r6xHeader('R63A'), [r63Block('30002340305522', 'A')]));
    assert.match(
      text,
      /"points":\[\{"v":"1000","d":"2023-09-18 00:00:00","p":"PT5M","n":"R","iv":null,"ec":null\},/,
    );
    assert.doesNotMatch(text, /"tc"/);
  });

  it('writes tc only in BEST curves, after n', async () => {
    const file = await r63('R63A', [r63Block('30002340305522', 'A', { etape: 'BEST' })]);
    const points = file.mesures[0]!.grandeur[0]!.points;
    assert.deepEqual(Object.keys(points[3]!), ['v', 'd', 'p', 'n', 'tc', 'iv', 'ec']);
    assert.equal(points[3]!.tc, 'C');
    assert.deepEqual(
      Object.keys(points[0]!),
      ['v', 'd', 'p', 'n', 'iv', 'ec'],
      'no tc on an uncorrected point',
    );
    const brut = r63Block('30002340305522', 'A');
    (brut.grandeur[0]!.points as R63Point[])[0]!.tc = 'C';
    const text = await collectText(writeR63Json(r6xHeader('R63A'), [brut]));
    assert.doesNotMatch(text, /"tc"/, 'a BRUT curve never carries tc');
  });

  it('values iv and ec for category B (Linky), null when unknown', async () => {
    const block = r63Block('50057308202740', 'B');
    const points = block.grandeur[0]!.points as R63Point[];
    points[1]!.iv = 2;
    points[1]!.ec = 11;
    delete points[2]!.iv;
    delete points[2]!.ec;
    const file = await r63('R63B', [block]);
    const out = file.mesures[0]!.grandeur[0]!.points;
    assert.deepEqual(
      [out[0]!.iv, out[0]!.ec, out[1]!.iv, out[1]!.ec, out[2]!.iv, out[2]!.ec],
      [0, 0, 2, 11, null, null],
    );
  });

  it('rounds to the nearest integer, halves away from zero', async () => {
    const block = r63Block('30002340305522', 'A');
    const points = block.grandeur[0]!.points as R63Point[];
    const values = [2.5, 2.49, -2.5, -0.2, 0, 123456.5];
    values.forEach((v, i) => (points[i]!.v = v));
    const file = await r63('R63A', [block]);
    assert.deepEqual(
      file.mesures[0]!.grandeur[0]!.points.slice(0, values.length).map((p) => p.v),
      ['3', '2', '-3', '0', '0', '123457'],
    );
  });

  it('leaves out points without a value', async () => {
    const block = r63Block('30002340305522', 'A');
    const points = block.grandeur[0]!.points as R63Point[];
    points[5]!.v = null;
    const file = await r63('R63A', [block]);
    const out = file.mesures[0]!.grandeur[0]!.points;
    assert.equal(out.length, 287);
    assert.equal(out[5]!.d, '2023-09-18 00:30:00');
  });

  it('keeps the autumn repeated hour in order: 50 points at PT30M, 46 in spring (category B stamps the end)', async () => {
    const autumn = await r63('R63B', [r63Block('50057308202740', 'B', { day: '2023-10-29' })]);
    const stamps = autumn.mesures[0]!.grandeur[0]!.points.map((p) => p.d.slice(11, 16));
    assert.equal(stamps.length, 50);
    assert.deepEqual(stamps.slice(0, 8), [
      '00:30',
      '01:00',
      '01:30',
      '02:00',
      '02:30',
      '02:00',
      '02:30',
      '03:00',
    ]);
    assert.equal(stamps.at(-1), '00:00', 'the last interval ends at midnight of the next day');
    const spring = await r63('R63B', [r63Block('50057308202740', 'B', { day: '2023-03-26' })]);
    const springStamps = spring.mesures[0]!.grandeur[0]!.points.map((p) => p.d.slice(11, 16));
    assert.equal(springStamps.length, 46);
    // 01:30-02:00 ends at the change instant, which Paris calls 03:00: no stamp falls in 02:00-03:00.
    assert.deepEqual(springStamps.slice(0, 5), ['00:30', '01:00', '01:30', '03:00', '03:30']);
  });

  it('stamps category A at the start of the interval: 300 points at PT5M on the autumn day', async () => {
    const file = await r63('R63A', [r63Block('30002340305522', 'A', { day: '2023-10-29' })]);
    const stamps = file.mesures[0]!.grandeur[0]!.points.map((p) => p.d.slice(11));
    assert.equal(stamps.length, 300);
    assert.equal(stamps[0], '00:00:00');
    assert.equal(stamps.filter((s) => s === '02:00:00').length, 2);
    assert.equal(stamps.at(-1), '23:55:00');
  });

  it('streams: pulls a block only when the consumer wants more bytes', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<R63PrmBlock> {
      for (let i = 0; ; i++) {
        pulled++;
        yield {
          idPrm: String(30002340000000 + i),
          etapeMetier: 'BRUT',
          grandeur: [
            { grandeurMetier: 'CONS', grandeurPhysique: 'PA', points: curveDay('2023-09-18', 'PT5M', 'A') },
          ],
        };
      }
    }
    const chunks = writeR63Json(r6xHeader('R63A'), endless());
    const first = await chunks.next();
    assert.equal(first.done, false);
    assert.ok((first.value as Buffer).length >= 64 * 1024);
    assert.ok(pulled < 10, `pulled ${pulled} blocks for the first chunk`);
    await chunks.return(undefined);
  });
});
