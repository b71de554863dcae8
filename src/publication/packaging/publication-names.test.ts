import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../domain/app-error.js';
import { formatHorodate, publicationNames, type PublicationNameParts } from './publication-names.js';

const parts: PublicationNameParts = {
  codeFlux: 'R63A',
  modePublication: 'Q',
  idDemande: 'M0000KY0',
  siren: '356000000',
  numSequence: 42,
  horodate: new Date('2023-03-12T09:32:46Z'),
  format: 'JSON',
};

describe('publication names', () => {
  it('names the archive and the inner file as the guide does (§2.1, §2.2)', () => {
    assert.deepEqual(publicationNames(parts), {
      archiveName: 'Enedis_R63A_Q_CdC_M0000KY0_356000000_20230312103246.zip',
      innerName: 'Enedis_R63A_Q_CdC_M0000KY0_00042_20230312103246.json',
    });
  });
  it('uses Index for R64 and csv for the CSV format', () => {
    const names = publicationNames({
      ...parts,
      codeFlux: 'R64B',
      modePublication: 'M',
      format: 'CSV',
      numSequence: 99999,
    });
    assert.equal(names.innerName, 'Enedis_R64B_M_Index_M0000KY0_99999_20230312103246.csv');
    assert.equal(names.archiveName, 'Enedis_R64B_M_Index_M0000KY0_356000000_20230312103246.zip');
  });
  it('writes the horodate in Paris time, summer and winter', () => {
    assert.equal(formatHorodate(new Date('2023-07-01T22:15:00Z')), '20230702001500');
    assert.equal(formatHorodate(new Date('2023-12-31T23:59:59Z')), '20240101005959');
  });
  it('refuses what would make an ambiguous or out-of-range name', () => {
    const bad: Partial<PublicationNameParts>[] = [
      { numSequence: 0 },
      { numSequence: 100000 },
      { numSequence: 1.5 },
      { idDemande: 'M_1' },
      { idDemande: '' },
      { siren: '35600000' },
      { horodate: new Date(Number.NaN) },
    ];
    for (const change of bad) {
      assert.throws(
        () => publicationNames({ ...parts, ...change }),
        (e: unknown) => e instanceof AppError && e.code === 'PUBLICATION_NAME_INVALID',
        JSON.stringify(change),
      );
    }
  });
});
