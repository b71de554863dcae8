import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { migrateToLatest } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../support/databases.js';
import { migrateUpTo } from '../support/migrations.js';
import {
  ALPHA_SIREN,
  seedPublication,
  seedPublicationRegistry,
  subscribe,
} from '../support/publication-fixtures.js';

const MIGRATION = '0007-publication-prm-unchecked';

for (const engine of TEST_ENGINES) {
  describe(`migration ${MIGRATION} [${engine}]`, () => {
    let database: TestDatabase | undefined;
    after(async () => {
      await database?.drop();
    });

    it('keeps the PRM lists of archived publications, still found by PRM and by contract', async () => {
      database = await createTestDatabase(engine, { migrate: false });
      const { handle } = database;
      const position = MIGRATIONS.findIndex(([name]) => name === MIGRATION);
      await migrateUpTo(handle, MIGRATIONS[position - 1]![0]);
      const { alpha } = await seedPublicationRegistry(handle.db);
      const subscriptionId = await subscribe(handle.db, {
        entrepriseId: alpha,
        siren: ALPHA_SIREN,
        category: 'B',
        dataType: 'INDEX',
        frequency: 'Q',
        format: 'CSV',
        effectiveAt: new Date('2026-01-01T00:00:00Z'),
      });
      const publicationId = await seedPublication(handle, subscriptionId, alpha);

      assert.deepEqual(
        await migrateToLatest(handle),
        MIGRATIONS.slice(position).map(([name]) => name),
      );

      const publications = new PublicationRepository(handle.db);
      assert.deepEqual(await publications.prmsOf(publicationId), [
        { prm: '22200000000001', contractNumber: 'CTR-Y' },
      ]);
      for (const filter of [{ prm: '22200000000001' }, { contractNumber: 'CTR-Y' }]) {
        const found = await publications.search({ sirens: [ALPHA_SIREN], limit: 10, offset: 0, ...filter });
        assert.deepEqual(
          found.items.map((p) => p.id),
          [publicationId],
          JSON.stringify(filter),
        );
      }
      // Deleting a publication (the purge) still takes its PRM list with it.
      await publications.delete(publicationId);
      assert.deepEqual(await publications.prmsOf(publicationId), []);
    });
  });
}
