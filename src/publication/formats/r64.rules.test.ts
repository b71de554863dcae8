import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../domain/app-error.js';
import { collectText, r64Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR64Csv } from './r64-csv.writer.js';
import { writeR64Json } from './r64-json.writer.js';
import type { R64Contexte, R64PrmBlock, R6xHeader } from './r6x.types.js';

async function refusal(header: R6xHeader, block: R64PrmBlock): Promise<string> {
  let message = '';
  for (const write of [writeR64Json, writeR64Csv]) {
    await assert.rejects(collectText(write(header, [block])), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'R6X_CONTENT_INVALID');
      message = error.message;
      return true;
    });
  }
  return message;
}

function withContexte(block: R64PrmBlock, change: Partial<R64Contexte>): R64PrmBlock {
  return { ...block, contexte: [{ ...block.contexte[0]!, ...change }] };
}

describe('R64 content rules', () => {
  it('refuses reading contexts and types of the other category', async () => {
    assert.match(
      await refusal(
        r6xHeader('R64A'),
        withContexte(r64Block('50067251510100', 'A'), { contexteReleve: 'COL' }),
      ),
      /COL/,
    );
    assert.match(
      await refusal(r6xHeader('R64B'), withContexte(r64Block('04586283707648', 'B'), { typeReleve: 'RM' })),
      /RM/,
    );
  });
  it('refuses a totalizer above 36 kVA', async () => {
    const block = r64Block('50067251510100', 'A');
    const grandeur = {
      ...block.contexte[0]!.grandeur[0]!,
      cadranTotalisateur: { codeCadran: 'X', valeur: [] },
    };
    assert.match(
      await refusal(r6xHeader('R64A'), withContexte(block, { grandeur: [grandeur] })),
      /totalizer/,
    );
  });
  it('refuses overrun quantities for Linky (DD, PMA…)', async () => {
    const block = r64Block('04586283707648', 'B');
    const grandeur = { ...block.contexte[0]!.grandeur[0]!, grandeurPhysique: 'PMA' as const };
    assert.match(await refusal(r6xHeader('R64B'), withContexte(block, { grandeur: [grandeur] })), /PMA/);
  });
  it('refuses a Linky likelihood index outside 0 to 15', async () => {
    const block = r64Block('04586283707648', 'B');
    const g = block.contexte[0]!.grandeur[0]!;
    const grandeur = {
      ...g,
      cadranTotalisateur: { codeCadran: 'IDX_EAS_T', valeur: [{ d: '2023-09-19 00:00:00', v: 1, iv: 16 }] },
    };
    assert.match(await refusal(r6xHeader('R64B'), withContexte(block, { grandeur: [grandeur] })), /0 to 15/);
  });
  it('refuses an R63 header', async () => {
    assert.match(await refusal(r6xHeader('R63B'), r64Block('04586283707648', 'B')), /not an R64 flux/);
  });
});
