import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectText, r64Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR64Json } from './r64-json.writer.js';
import type { R64PrmBlock } from './r6x.types.js';

interface Valeur {
  d: string;
  v: number;
  iv: number | null;
}
interface Grandeur {
  grandeurMetier: string;
  grandeurPhysique: string;
  unite: string;
  calendrier: {
    idCalendrier: string;
    libelleCalendrier: string;
    libelleGrille: string;
    classeTemporelle: {
      idClasseTemporelle: string;
      libelleClasseTemporelle: string;
      codeCadran?: string;
      valeur: Valeur[];
    }[];
  }[];
  cadranTotalisateur?: { codeCadran: string; valeur: Valeur[] };
}
interface File {
  header: Record<string, string>;
  mesures: {
    idPrm: string;
    periode: { dateDebut: string; dateFin: string };
    contexte: {
      etapeMetier: string;
      contexteReleve: string;
      typeReleve: string;
      motifReleve?: string;
      grandeur: Grandeur[];
    }[];
  }[];
}

async function r64(codeFlux: 'R64A' | 'R64B', blocks: R64PrmBlock[]): Promise<File> {
  return JSON.parse(await collectText(writeR64Json(r6xHeader(codeFlux), blocks))) as File;
}

describe('R64 JSON writer', () => {
  it('writes a Linky block: totalizer, grids with dials, iv valued for active energy, v an integer', async () => {
    const file = await r64('R64B', [r64Block('04586283707648', 'B')]);
    assert.equal(file.header.codeFlux, 'R64B');
    const m = file.mesures[0]!;
    assert.deepEqual(m.periode, { dateDebut: '2023-09-19 00:00:00', dateFin: '2023-09-20 00:00:00' });
    const c = m.contexte[0]!;
    assert.deepEqual(
      [c.etapeMetier, c.contexteReleve, c.typeReleve, 'motifReleve' in c],
      ['BRUT', 'COL', 'AQ', false],
    );
    const g = c.grandeur[0]!;
    assert.deepEqual(Object.keys(g), [
      'grandeurMetier',
      'grandeurPhysique',
      'unite',
      'calendrier',
      'cadranTotalisateur',
    ]);
    assert.equal(g.unite, 'Wh');
    assert.deepEqual(g.cadranTotalisateur, {
      codeCadran: 'IDX_EAS_T',
      valeur: [{ d: '2023-09-19 00:00:00', v: 19810, iv: 0 }],
    });
    assert.deepEqual(
      g.calendrier.map((cal) => [cal.idCalendrier, cal.libelleGrille]),
      [
        ['DI000002', 'Distributeur'],
        ['FC000018', 'Fournisseur'],
      ],
    );
    const hp = g.calendrier[0]!.classeTemporelle[1]!;
    assert.deepEqual(hp, {
      idClasseTemporelle: 'HP',
      libelleClasseTemporelle: 'Heures Pleines',
      codeCadran: 'IDX_EAS_D2',
      valeur: [{ d: '2023-09-19 00:00:00', v: 9890, iv: 8 }],
    });
  });

  it('writes a block above 36 kVA like the guide example: no dial when unknown, iv null', async () => {
    const file = await r64('R64A', [r64Block('50067251510100', 'A')]);
    const c = file.mesures[0]!.contexte[0]!;
    assert.deepEqual([c.contexteReleve, c.typeReleve], ['FMR', 'RC']);
    const classe = c.grandeur[0]!.calendrier[0]!.classeTemporelle[1]!;
    assert.deepEqual(classe, {
      idClasseTemporelle: 'HPH',
      libelleClasseTemporelle: 'Heures Pleines Hiver',
      valeur: [{ d: '2023-09-19 00:00:00', v: 314604000, iv: null }],
    });
    assert.equal('cadranTotalisateur' in c.grandeur[0]!, false);
  });

  it('writes motifReleve when known and escapes free text', async () => {
    const block = r64Block('04586283707648', 'B');
    const contexte = {
      ...block.contexte[0]!,
      motifReleve: 'Pose "fournisseur"',
      contexteReleve: 'TOP' as const,
    };
    const file = await r64('R64B', [{ ...block, contexte: [contexte] }]);
    assert.equal(file.mesures[0]!.contexte[0]!.motifReleve, 'Pose "fournisseur"');
  });

  it('writes iv null for Linky quantities other than active energy', async () => {
    const block = r64Block('04586283707648', 'B');
    const grandeur = { ...block.contexte[0]!.grandeur[0]!, grandeurPhysique: 'ERI' as const };
    const file = await r64('R64B', [
      { idPrm: block.idPrm, contexte: [{ ...block.contexte[0]!, grandeur: [grandeur] }] },
    ]);
    const g = file.mesures[0]!.contexte[0]!.grandeur[0]!;
    assert.equal(g.unite, 'VArh');
    assert.equal(g.cadranTotalisateur!.valeur[0]!.iv, null);
  });
});
