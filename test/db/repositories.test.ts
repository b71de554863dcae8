import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { PrmRepository } from '../../src/db/prm.repository.js';
import { UserRepository } from '../../src/db/user.repository.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { describeEachEngine } from '../support/databases.js';
import { seedEntreprise } from '../support/registry-fixtures.js';

const NOW = new Date('2026-05-01T08:00:00Z');

describeEachEngine('registry repositories', (ctx) => {
  it('counts PRMs per SIREN and category on a day (100 vs 101)', async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Cent SA', siren: '356000000', prms: 100, prefix: '100' });
    await seedEntreprise(ctx.handle.db, { name: 'Cent Un SA', siren: '552100554', prms: 101, prefix: '101' });
    const prms = new PrmRepository(ctx.handle.db);
    assert.equal(await prms.countAttachedOn('356000000', 'B', '2026-01-01'), 100);
    assert.equal(await prms.countAttachedOn('552100554', 'B', '2026-01-01'), 101);
    assert.equal(await prms.countAttachedOn('552100554', 'A', '2026-01-01'), 0);
    assert.equal(
      await prms.countAttachedOn('552100554', 'B', '2023-12-31'),
      0,
      'before the attachment start',
    );
  });

  it('stores users with argon2id hashes, lower-cased e-mail and scoped lookups', async () => {
    const entreprises = new EntrepriseRepository(ctx.handle.db);
    const cent = (await entreprises.findByName('Cent SA'))!;
    const other = (await entreprises.findByName('Cent Un SA'))!;
    const users = new UserRepository(ctx.handle.db);
    const hash = await hashPassword('s3cret-Pass');
    assert.match(hash, /^\$argon2id\$/);
    const id = await users.insert(
      {
        entrepriseId: cent.id,
        email: 'Marie.Durand@Example.FR',
        displayName: 'Marie Durand',
        passwordHash: hash,
        habilitations: ['CONSULTATION'],
        sirenPerimeter: ['356000000'],
        active: true,
      },
      NOW,
    );
    const found = await users.findByEmail('marie.durand@example.fr');
    assert.equal(found?.id, id);
    assert.deepEqual(found?.sirenPerimeter, ['356000000']);
    assert.equal(await verifyPassword(found!.passwordHash, 's3cret-Pass'), true);
    assert.equal(await verifyPassword(found!.passwordHash, 'wrong'), false);
    assert.equal(
      await users.findInEntreprise(other.id, id),
      undefined,
      'another entreprise does not see the user',
    );
    await assert.rejects(
      users.insert({ ...found!, email: 'MARIE.DURAND@example.fr' }, NOW),
      'e-mail addresses are unique whatever their case',
    );
  });

  it('keeps the audit log append-only at the database level', async () => {
    const audit = new AuditRepository(ctx.handle.db);
    await audit.append(
      {
        actor: { type: 'system', id: null, label: 't' },
        entrepriseId: 1,
        action: 'x.y',
        target: 'z',
        after: { a: 1 },
      },
      NOW,
    );
    await assert.rejects(sql`update audit_log set action = 'tampered'`.execute(ctx.handle.db), /append-only/);
    await assert.rejects(sql`delete from audit_log`.execute(ctx.handle.db), /append-only/);
    const entries = await audit.listForEntreprise(1, { action: 'x.' });
    assert.equal(entries[0]?.action, 'x.y');
    assert.deepEqual(entries[0]?.after, { a: 1 });
  });
});
