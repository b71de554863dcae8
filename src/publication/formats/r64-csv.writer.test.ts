import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitCsvLine } from '../../domain/csv-line.js';
import { collectText, r64Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR64Csv } from './r64-csv.writer.js';
import type { R64PrmBlock } from './r6x.types.js';

const HEADER =
  'Identifiant PRM;Date de début;Date de fin;Grandeur physique;Grandeur métier;Etape métier;Unité;Horodate;' +
  'Contexte de relève;Type de relève;Motif de relève;Grille;Identifiant calendrier;Libellé Calendrier;' +
  'Identifiant classe temporelle;Libellé classe temporelle;Cadran;Valeur;Indice de vraisemblance';

async function csvLines(codeFlux: 'R64A' | 'R64B', blocks: R64PrmBlock[]): Promise<string[]> {
  const header = r6xHeader(codeFlux, { dateDebut: '2023-09-19 06:00:00', dateFin: '2023-09-19 08:00:00' });
  const text = await collectText(writeR64Csv(header, blocks));
  assert.ok(text.endsWith('\n'));
  return text.slice(0, -1).split('\n');
}

describe('R64 CSV writer', () => {
  for (const codeFlux of ['R64A', 'R64B'] as const) {
    it(`writes the 19 column labels for ${codeFlux}`, async () => {
      assert.deepEqual(await csvLines(codeFlux, []), [HEADER]);
    });
  }

  it('writes Linky lines like the guide example: totalizer first with grille T, then D and F grids', async () => {
    const lines = await csvLines('R64B', [r64Block('04586283707648', 'B')]);
    const common =
      '04586283707648;2023-09-19 06:00:00;2023-09-19 08:00:00;EA;CONS;BRUT;Wh;2023-09-19 00:00:00;COL;AQ;null;';
    assert.deepEqual(lines.slice(1), [
      `${common}T;null;null;null;null;IDX_EAS_T;19810;0`,
      `${common}D;DI000002;Heures pleines / Heures creuses;HC;Heures Creuses;IDX_EAS_D1;9921;0`,
      `${common}D;DI000002;Heures pleines / Heures creuses;HP;Heures Pleines;IDX_EAS_D2;9890;8`,
      `${common}F;FC000018;Base;BASE;Base;IDX_EAS_F1;74421;0`,
    ]);
  });

  it('writes lines above 36 kVA with null dial and iv', async () => {
    const lines = await csvLines('R64A', [r64Block('50067251510100', 'A')]);
    assert.equal(lines.length, 6);
    assert.equal(
      lines[2],
      '50067251510100;2023-09-19 06:00:00;2023-09-19 08:00:00;EA;CONS;BRUT;Wh;2023-09-19 00:00:00;FMR;RC;null;D;' +
        'DI000003;Pointe, heures pleines et creuses hiver et été;HPH;Heures Pleines Hiver;null;314604000;null',
    );
  });

  it('quotes free text holding a separator, so every line keeps 19 columns', async () => {
    const block = r64Block('04586283707648', 'B');
    const contexte = {
      ...block.contexte[0]!,
      contexteReleve: 'CRI' as const,
      typeReleve: 'LC' as const,
      motifReleve: 'Dépose; "fournisseur"',
    };
    const lines = await csvLines('R64B', [{ ...block, contexte: [contexte] }]);
    assert.match(lines[1]!, /;CRI;LC;"Dépose; ""fournisseur""";T;/);
    for (const line of lines) assert.equal(splitCsvLine(line)!.length, 19);
  });
});
