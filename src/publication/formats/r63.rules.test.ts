import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../domain/app-error.js';
import { collectText, r63Block, r6xHeader } from '../../../test/support/r6x-fixtures.js';
import { writeR63Csv } from './r63-csv.writer.js';
import { writeR63Json } from './r63-json.writer.js';
import type { R63Point, R63PrmBlock, R6xHeader } from './r6x.types.js';

async function refusal(header: R6xHeader, block: R63PrmBlock): Promise<string> {
  for (const write of [writeR63Json, writeR63Csv]) {
    await assert.rejects(collectText(write(header, [block])), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'R6X_CONTENT_INVALID');
      return true;
    });
  }
  try {
    await collectText(writeR63Json(header, [block]));
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

function withPoint(block: R63PrmBlock, change: (p: R63Point) => void): R63PrmBlock {
  change((block.grandeur[0]!.points as R63Point[])[10]!);
  return block;
}

describe('R63 content rules', () => {
  it('refuses a BEST curve for 36 kVA or less (no corrected curve exists for Linky)', async () => {
    assert.match(
      await refusal(r6xHeader('R63B'), r63Block('50057308202740', 'B', { etape: 'BEST' })),
      /no BEST/,
    );
  });
  it('refuses reactive power for category B', async () => {
    const block = r63Block('50057308202740', 'B', { reactive: true });
    assert.match(await refusal(r6xHeader('R63B'), block), /PRI/);
  });
  it('refuses natures the guide does not allow: R for Linky, E in a BRUT curve', async () => {
    assert.match(
      await refusal(
        r6xHeader('R63B'),
        withPoint(r63Block('50057308202740', 'B'), (p) => (p.n = 'R')),
      ),
      /nature R/,
    );
    assert.match(
      await refusal(
        r6xHeader('R63A'),
        withPoint(r63Block('30002340305522', 'A'), (p) => (p.n = 'E')),
      ),
      /nature E/,
    );
  });
  it('refuses a step of the other category', async () => {
    assert.match(
      await refusal(
        r6xHeader('R63A'),
        withPoint(r63Block('30002340305522', 'A'), (p) => (p.p = 'PT30M')),
      ),
      /step PT30M/,
    );
  });
  it('refuses a timestamp that is not local AAAA-MM-JJ hh:mm:ss', async () => {
    const block = withPoint(r63Block('30002340305522', 'A'), (p) => (p.d = '2023-09-18T00:50:00Z'));
    assert.match(await refusal(r6xHeader('R63A'), block), /not a local timestamp/);
  });
  it('refuses a non-finite value and an unknown ec', async () => {
    assert.match(
      await refusal(
        r6xHeader('R63A'),
        withPoint(r63Block('30002340305522', 'A'), (p) => (p.v = NaN)),
      ),
      /finite/,
    );
    const ec = withPoint(r63Block('50057308202740', 'B'), (p) => (p.ec = 4 as 0));
    assert.match(await refusal(r6xHeader('R63B'), ec), /complementary state 4/);
  });
  it('refuses a PRM that is not 14 digits', async () => {
    assert.match(await refusal(r6xHeader('R63A'), r63Block('3000234030552', 'A')), /14 digits/);
  });
  it('refuses a header of the wrong family or with a bad window', async () => {
    const block = r63Block('30002340305522', 'A');
    assert.match(await refusal(r6xHeader('R64A'), block), /not an R63 flux/);
    assert.match(await refusal(r6xHeader('R63A', { idDemande: 'M_1' }), block), /letters and digits/);
    assert.match(
      await refusal(r6xHeader('R63A', { dateFin: '2023-09-18 00:00:00' }), block),
      /before dateDebut/,
    );
    const filEau = r6xHeader('R63A', {
      echeances: { type: 'filEau', horodateDebutPublication: '2023-09-22 02:00:00', frequence: 'often' },
    });
    assert.match(await refusal(filEau, block), /frequence/);
  });
});
