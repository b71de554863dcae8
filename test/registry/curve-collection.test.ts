import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { PrmRepository } from '../../src/db/prm.repository.js';
import type { ServiceActor } from '../../src/domain/service-actor.js';
import { CurveCollectionService } from '../../src/registry/curve-collection.service.js';
import { describeEachEngine } from '../support/databases.js';
import { prmNumber, seedEntreprise } from '../support/registry-fixtures.js';

describeEachEngine('curve collection switch', (ctx) => {
  let actor: ServiceActor;
  const siren = '356000000';
  const prm = prmNumber(1, '444');

  before(async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Collecte SA', siren, prms: 2, prefix: '444' });
    await seedEntreprise(ctx.handle.db, { name: 'Autre SA', siren: '552100554', prms: 1, prefix: '555' });
    const entreprise = await new EntrepriseRepository(ctx.handle.db).findByName('Collecte SA');
    actor = {
      type: 'user',
      id: '1',
      label: 'gestion@collecte.fr',
      entrepriseId: entreprise!.id,
      habilitations: ['GESTION_SERVICES_DONNEES'],
    };
  });

  it('turns collection on from today, off from today, and audits each change', async () => {
    const service = new CurveCollectionService(ctx.handle.db);
    const prms = new PrmRepository(ctx.handle.db);
    const day1 = new Date('2026-03-10T10:00:00Z');
    assert.deepEqual(await service.switch(actor, [siren], [prm], true, day1), [prm]);
    assert.equal(await prms.isCollectionOn(prm, '2026-03-10'), true);
    assert.equal(await prms.isCollectionOn(prm, '2026-03-09'), false, 'never in the past');
    assert.deepEqual(await service.switch(actor, [siren], [prm], true, day1), [], 'already on');
    await service.switch(actor, [siren], [prm], false, new Date('2026-03-20T10:00:00Z'));
    assert.equal(await prms.isCollectionOn(prm, '2026-03-19'), true);
    assert.equal(await prms.isCollectionOn(prm, '2026-03-20'), false);
    const states = await service.list([siren], new Date('2026-03-20T10:00:00Z'));
    assert.deepEqual(
      states.map((s) => [s.prm.prm, s.on, s.since]),
      [
        [prm, false, '2026-03-20'],
        [prmNumber(2, '444'), false, null],
      ],
    );
    const audit = await new AuditRepository(ctx.handle.db).listForEntreprise(actor.entrepriseId, {
      action: 'prm.curve_collection',
    });
    assert.deepEqual(
      audit.map((a) => a.action),
      ['prm.curve_collection.stopped', 'prm.curve_collection.started'],
    );
  });

  it('refuses a PRM outside the perimeter and a user without the habilitation', async () => {
    const service = new CurveCollectionService(ctx.handle.db);
    const now = new Date('2026-03-10T10:00:00Z');
    await assert.rejects(
      service.switch(actor, [siren], [prmNumber(1, '555')], true, now),
      (e: { code?: string }) => e.code === 'NOT_FOUND',
    );
    await assert.rejects(
      service.switch({ ...actor, habilitations: ['CONSULTATION'] }, [siren], [prm], true, now),
      (e: { code?: string }) => e.code === 'FORBIDDEN_HABILITATION',
    );
  });
});
