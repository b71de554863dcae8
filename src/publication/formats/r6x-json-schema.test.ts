import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import { collectText, r63Block, r64Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR63Json } from './r63-json.writer.js';
import { writeR64Json } from './r64-json.writer.js';

// The distributor's official schemas, kept verbatim.
const REFERENCE = new URL('../../../test/fixtures/enedis/', import.meta.url);
const fromReference = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, REFERENCE), 'utf8')) as Record<string, unknown>;

/**
 * The official schemas write `items` as one-element tuples, which draft-04 applies to the FIRST element
 * only. This variant applies each to every element, so the test covers all PRMs and points.
 */
function everyItem(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(everyItem);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'items' && Array.isArray(value) && value.length === 1 ? everyItem(value[0]) : everyItem(value);
  }
  return out;
}

// CommonJS module: under NodeNext its default import is module.exports, whose `default` is the class.
const Ajv = AjvDraft04.default;
const ajv = new Ajv({ strict: false, allErrors: true });
const R63 = fromReference('Enedis.SGE.JSON.0532.Flux.R63Xv1.1.0.json');
const R64 = fromReference('Enedis.SGE.JSON.0533.Flux.R64Xv1.1.0.json');
const validators = {
  R63: [ajv.compile(R63), ajv.compile(everyItem(R63) as object)],
  R64: [ajv.compile(R64), ajv.compile(everyItem(R64) as object)],
};

function assertValid(family: 'R63' | 'R64', text: string): void {
  const document: unknown = JSON.parse(text);
  for (const validate of validators[family]) {
    assert.equal(validate(document), true, JSON.stringify(validate.errors, null, 1));
  }
}

describe('R63/R64 JSON output against the official schemas', () => {
  it('validates an R63A BEST file (several PRMs, corrected points with tc)', async () => {
    const blocks = [
      r63Block('30002340305522', 'A', { etape: 'BEST' }),
      r63Block('30002340305523', 'A', { etape: 'BEST' }),
    ];
    assertValid('R63', await collectText(writeR63Json(r6xHeader('R63A'), blocks)));
  });
  it('validates an R63A BRUT file with reactive power', async () => {
    const blocks = [r63Block('30002340305522', 'A', { reactive: true })];
    assertValid('R63', await collectText(writeR63Json(r6xHeader('R63A', { modePublication: 'H' }), blocks)));
  });
  it('validates an R63B BRUT file (Linky iv/ec valued)', async () => {
    const blocks = [r63Block('50057308202740', 'B'), r63Block('50057308202741', 'B', { step: 'PT10M' })];
    const header = r6xHeader('R63B', {
      modePublication: 'M',
      echeances: { type: 'filEau', horodateDebutPublication: '2023-09-22 02:00:00', frequence: '2H' },
    });
    assertValid('R63', await collectText(writeR63Json(header, blocks)));
  });
  it('validates an R64A file', async () => {
    const blocks = [r64Block('30002340305522', 'A'), r64Block('30002340305523', 'A')];
    assertValid('R64', await collectText(writeR64Json(r6xHeader('R64A'), blocks)));
  });
  it('validates an R64B file (totalizer, distributor and supplier grids)', async () => {
    const header = r6xHeader('R64B', {
      echeances: { type: 'heureFixe', horodateDebutPublication: '2023-09-20 06:00:00' },
    });
    const blocks = [r64Block('04586283707648', 'B'), r64Block('04586283707649', 'B')];
    assertValid('R64', await collectText(writeR64Json(header, blocks)));
  });
  it('validates an empty file (a window whose PRMs had nothing)', async () => {
    assertValid('R63', await collectText(writeR63Json(r6xHeader('R63A'), [])));
    assertValid('R64', await collectText(writeR64Json(r6xHeader('R64B'), [])));
  });
  it('the strict variant does catch a wrong point deep in the file', () => {
    const bad = {
      header: { siDemandeur: 'LINCS', typeDestinataire: 'ENTREPRISE', idDestinataire: '1', codeFlux: 'R63A' },
      mesures: [],
    };
    assert.equal(validators.R63[0]!(bad), false);
    const deep = JSON.parse(
      '{"header":{"siDemandeur":"LINCS","typeDestinataire":"ENTREPRISE","idDestinataire":"1","codeFlux":"R63A",' +
        '"idDemande":"X","modePublication":"Q","idPublication":"1","format":"JSON"},"mesures":[' +
        '{"idPrm":"1","etapeMetier":"BRUT","periode":{"dateDebut":"a","dateFin":"b"},"modeCalcul":"MESURE","grandeur":[' +
        '{"grandeurMetier":"CONS","grandeurPhysique":"PA","unite":"W","points":[{"v":"1","d":"a","p":"PT5M","n":"R"},{"v":2,"d":"a","p":"PT5M","n":"R"}]}]}]}',
    ) as unknown;
    assert.equal(validators.R63[0]!(deep), true, 'the official schema only checks the first point');
    assert.equal(validators.R63[1]!(deep), false, 'the strict variant checks every point');
  });
});
