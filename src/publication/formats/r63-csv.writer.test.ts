import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitCsvLine } from '../../domain/csv-line.js';
import { collectText, r63Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR63Csv } from './r63-csv.writer.js';
import type { R63Point, R63PrmBlock } from './r6x.types.js';

const HEADER =
  'Identifiant PRM;Date de début;Date de fin;Grandeur physique;Grandeur métier;Etape métier;Unité;Horodate;' +
  'Valeur;Nature;Pas;Indice de vraisemblance;Etat complémentaire';

async function csvLines(codeFlux: 'R63A' | 'R63B', blocks: R63PrmBlock[]): Promise<string[]> {
  const text = await collectText(writeR63Csv(r6xHeader(codeFlux), blocks));
  assert.ok(text.endsWith('\n'), 'every line ends with \\n');
  return text.slice(0, -1).split('\n');
}

describe('R63 CSV writer', () => {
  for (const codeFlux of ['R63A', 'R63B'] as const) {
    it(`writes the guide's 13 column labels for ${codeFlux}`, async () => {
      const lines = await csvLines(codeFlux, []);
      assert.deepEqual(lines, [HEADER]);
    });
  }

  it('writes category A lines like the guide example (iv and ec null)', async () => {
    const header = r6xHeader('R63A', { dateDebut: '2023-09-19 06:00:00', dateFin: '2023-09-19 08:00:00' });
    const block = r63Block('50057308202740', 'A');
    const points = block.grandeur[0]!.points as R63Point[];
    points.forEach((p, i) => (p.v = 100 + i));
    const text = await collectText(writeR63Csv(header, [block]));
    const lines = text.split('\n');
    assert.equal(
      lines[1],
      '50057308202740;2023-09-19 06:00:00;2023-09-19 08:00:00;PA;CONS;BRUT;W;2023-09-18 00:00:00;100;R;PT5M;null;null',
    );
    assert.equal(
      lines[12],
      '50057308202740;2023-09-19 06:00:00;2023-09-19 08:00:00;PA;CONS;BRUT;W;2023-09-18 00:55:00;111;R;PT5M;null;null',
    );
  });

  it('writes iv and ec for category B, null when unknown, and never a tc column', async () => {
    const block = r63Block('50057308202740', 'B');
    const points = block.grandeur[0]!.points as R63Point[];
    points[0]!.iv = 2;
    points[0]!.ec = 6;
    delete points[1]!.iv;
    const lines = await csvLines('R63B', [block]);
    assert.match(lines[1]!, /;2023-09-18 00:30:00;1000;B;PT30M;2;6$/);
    assert.match(lines[2]!, /;1001;B;PT30M;null;0$/);
    for (const line of lines) assert.equal(splitCsvLine(line)!.length, 13);
  });

  it('writes BEST curves with their stage, corrected points keep their nature', async () => {
    const lines = await csvLines('R63A', [r63Block('30002340305522', 'A', { etape: 'BEST' })]);
    assert.match(
      lines[4]!,
      /^30002340305522;[^;]+;[^;]+;PA;CONS;BEST;W;2023-09-18 00:15:00;1003;E;PT5M;null;null$/,
    );
  });

  it('keeps the autumn repeated hour in order: 50 lines at PT30M, 46 in spring', async () => {
    const autumn = await csvLines('R63B', [r63Block('50057308202740', 'B', { day: '2023-10-29' })]);
    const stamps = autumn.slice(1).map((l) => l.split(';')[7]!.slice(11, 16));
    assert.equal(stamps.length, 50);
    assert.deepEqual(stamps.slice(3, 7), ['02:00', '02:30', '02:00', '02:30']);
    const spring = await csvLines('R63B', [r63Block('50057308202740', 'B', { day: '2023-03-26' })]);
    assert.equal(spring.length - 1, 46);
  });
});
