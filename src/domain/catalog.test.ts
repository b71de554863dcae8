import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogEntries, codeFluxOf, etapeMetierOf, isInCatalog, typeDonneesOf } from './catalog.js';

describe('catalog', () => {
  it('offers index, raw and corrected curves, each Q/H/M, in category A', () => {
    assert.equal(catalogEntries('A').length, 9);
    assert.equal(isInCatalog('A', 'CDC_CORRIGEE', 'M'), true);
  });

  it('offers no corrected curve in category B', () => {
    assert.deepEqual(
      catalogEntries('B').map((e) => `${e.dataType}/${e.frequency}`),
      ['INDEX/Q', 'INDEX/H', 'INDEX/M', 'CDC_BRUTE/Q', 'CDC_BRUTE/H', 'CDC_BRUTE/M'],
    );
    assert.equal(isInCatalog('B', 'CDC_CORRIGEE', 'Q'), false);
    assert.equal(isInCatalog('B', 'INDEX', 'X'), false);
  });

  it('names the flux R63 for curves and R64 for index, suffixed by category', () => {
    assert.equal(codeFluxOf('A', 'CDC_BRUTE'), 'R63A');
    assert.equal(codeFluxOf('A', 'CDC_CORRIGEE'), 'R63A');
    assert.equal(codeFluxOf('B', 'CDC_BRUTE'), 'R63B');
    assert.equal(codeFluxOf('A', 'INDEX'), 'R64A');
    assert.equal(codeFluxOf('B', 'INDEX'), 'R64B');
    assert.equal(typeDonneesOf('INDEX'), 'Index');
    assert.equal(typeDonneesOf('CDC_BRUTE'), 'CdC');
  });

  it('uses etapeMetier BEST for the corrected curve only', () => {
    assert.equal(etapeMetierOf('CDC_CORRIGEE'), 'BEST');
    assert.equal(etapeMetierOf('CDC_BRUTE'), 'BRUT');
    assert.equal(etapeMetierOf('INDEX'), 'BRUT');
  });
});
