import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AppError } from '../../src/domain/app-error.js';
import { ImportThread } from '../../src/jobs/import-thread.js';
import { describeEachEngine } from '../support/databases.js';
import { distributorRegistryCsv } from '../support/registry-fixtures.js';

const options = {
  source: 'registre.csv',
  now: new Date('2026-01-01T00:00:00Z'),
  actor: { type: 'system' as const, id: null, label: 'test' },
};

describeEachEngine('import thread', (ctx) => {
  it('refuses an import that runs the thread out of memory, changes nothing, and takes the next one', async () => {
    const imports = new ImportThread(ctx.handle, 64);
    try {
      await assert.rejects(
        imports.registry(distributorRegistryCsv(140_000), options),
        (error: AppError) =>
          error instanceof AppError &&
          error.code === 'IMPORT_REJECTED' &&
          /needs more than the 64 MB an import may use/.test(error.detail),
      );
      const count = async () =>
        Number(
          (
            await ctx.handle.db
              .selectFrom('prm')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.equal(await count(), 0);
      const result = await imports.registry(distributorRegistryCsv(20), options);
      assert.equal(result.prmsCreated, await count());
      assert.ok(result.prmsCreated > 0);
    } finally {
      await imports.close();
    }
  });
});
