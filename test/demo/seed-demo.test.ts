import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { MeasurementRepository } from '../../src/db/measurement.repository.js';
import { PrmRepository } from '../../src/db/prm.repository.js';
import { UserRepository } from '../../src/db/user.repository.js';
import { verifyPassword } from '../../src/auth/password.js';
import {
  DEMO_ENTREPRISE,
  DEMO_LOGINS,
  DEMO_SIREN_RESEAU,
  DEMO_SIREN_SITES,
  seedDemo,
} from '../../src/demo/seed-demo.js';
import { describeEachEngine } from '../support/databases.js';

const NOW = new Date('2026-11-28T09:00:00Z');

describeEachEngine('demo seed', (ctx) => {
  it('creates one entreprise, two SIRENs with the documented meters, and three users', async () => {
    assert.equal(await seedDemo(ctx.handle.db, NOW), true);
    const entreprise = await new EntrepriseRepository(ctx.handle.db).findByName(DEMO_ENTREPRISE);
    assert.ok(entreprise);
    assert.deepEqual(
      await new EntrepriseRepository(ctx.handle.db).sirensOf(entreprise.id),
      [DEMO_SIREN_SITES, DEMO_SIREN_RESEAU].sort(),
    );
    const prms = new PrmRepository(ctx.handle.db);
    const day = '2026-11-27';
    const sitesA = await prms.listAttachedOn(DEMO_SIREN_SITES, day, 'A');
    assert.equal(sitesA.length, 12);
    assert.deepEqual(new Set(sitesA.map((p) => p.segment)), new Set(['C1', 'C2', 'C4']));
    assert.ok(sitesA.every((p) => p.step === 'PT5M'));
    const sitesB = await prms.listAttachedOn(DEMO_SIREN_SITES, day, 'B');
    assert.equal(sitesB.length, 40);
    assert.ok(sitesB.filter((p) => p.step === 'PT30M').length > 20);
    assert.ok(sitesB.some((p) => p.step === 'PT10M'));
    assert.equal(await prms.countAttachedOn(DEMO_SIREN_RESEAU, 'B', day), 150);
    const users = await new UserRepository(ctx.handle.db).listByEntreprise(entreprise.id);
    assert.equal(users.length, 3);
    for (const login of DEMO_LOGINS) {
      const user = users.find((u) => u.email === login.email);
      assert.deepEqual(user?.habilitations, login.habilitations);
      assert.equal(await verifyPassword(user!.passwordHash, login.password), true);
    }
  });

  it('fills the last 60 days of measurements for every demo PRM', async () => {
    const store = new MeasurementRepository(ctx.handle.db);
    const a = await store.readCurves('30001000000001', '2026-09-01', '2026-11-28', {
      quantity: 'PA',
      stage: 'BRUT',
    });
    assert.equal(a.length, 60);
    assert.equal(a[0]!.day, '2026-09-29');
    assert.equal(a.at(-1)!.day, '2026-11-27');
    assert.equal(a.find((d) => d.day === '2026-10-25')!.values.length, 300);
    assert.equal(
      (await store.readCurves('30001000000001', '2026-09-29', '2026-11-28', { stage: 'BEST' })).length,
      60,
    );
    assert.equal((await store.readCurves('30003000000150', '2026-09-29', '2026-11-28')).length, 60);
    // Collection off for this Linky meter: index only, no curve.
    assert.equal((await store.readCurves('30002000000010', '2026-09-29', '2026-11-28')).length, 0);
    assert.equal((await store.readIndex('30002000000010', '2026-09-29', '2026-11-29')).length, 61 * 3);
  });

  it('does nothing the second time', async () => {
    assert.equal(await seedDemo(ctx.handle.db, NOW), false);
  });
});
