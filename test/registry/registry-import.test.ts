import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { AuditRepository } from '../../src/db/audit.repository.js';
import type { Db } from '../../src/db/database.js';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { PrmRepository } from '../../src/db/prm.repository.js';
import { importRegistryCsv, RegistryImportRejected } from '../../src/registry/registry-import.js';
import { describeEachEngine } from '../support/databases.js';
import { prmNumber, registryCsv } from '../support/registry-fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');
const actor = { type: 'operator' as const, id: null, label: 'test' };
const run = (db: Db, text: string) =>
  importRegistryCsv(db, text, { source: 'registry.csv', now: NOW, actor });

async function counts(db: Db) {
  const tables = [
    'entreprise',
    'siren',
    'prm',
    'prm_attachment',
    'prm_curve_collection',
    'audit_log',
  ] as const;
  const out: Record<string, number> = {};
  for (const table of tables) {
    const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    out[table] = Number(row.rows[0]!.n);
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<RegistryImportRejected> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RegistryImportRejected, `expected a rejection, got ${String(error)}`);
    return error;
  }
  assert.fail('import was expected to be rejected');
}

describeEachEngine('registry import', (ctx) => {
  const good = registryCsv([
    { prm: '30001000000001', segment: 'C4', kva: '250', step: 'PT5M' },
    { prm: '30001000000002', segment: 'C5', kva: '9', step: 'PT10M', collection: '2024-06-01' },
    { prm: '30001000000003', siren: '552100554', segment: 'C5', kva: '6', label: '"Boutique; Lyon"' },
  ]);

  it('imports entreprises, SIRENs, PRMs, attachments and curve collection, derived category and defaults', async () => {
    const result = await run(ctx.handle.db, good);
    assert.deepEqual(result, {
      entreprisesCreated: 1,
      sirensCreated: 2,
      prmsCreated: 3,
      prmsUpdated: 0,
      attachmentsCreated: 3,
      attachmentsUpdated: 0,
      collectionPeriodsCreated: 1,
      linesUnchanged: 0,
    });
    const prms = new PrmRepository(ctx.handle.db);
    const a = await prms.find('30001000000001');
    assert.equal(a?.category, 'A');
    assert.equal(a?.distributorCalendar, 'DI000003');
    const b = await prms.find('30001000000003');
    assert.equal(b?.category, 'B');
    assert.equal(b?.step, 'PT30M');
    assert.equal(b?.label, 'Boutique; Lyon');
    assert.equal(await prms.isCollectionOn('30001000000002', '2024-06-01'), true);
    assert.equal(await prms.isCollectionOn('30001000000002', '2024-05-31'), false);
    assert.equal(await prms.isCollectionOn('30001000000003', '2024-06-01'), false);
  });

  it('re-importing the same file changes nothing', async () => {
    const before = await counts(ctx.handle.db);
    const result = await run(ctx.handle.db, good);
    assert.equal(result.linesUnchanged, 3);
    assert.equal(
      result.prmsCreated + result.prmsUpdated + result.attachmentsCreated + result.sirensCreated,
      0,
    );
    assert.deepEqual(await counts(ctx.handle.db), before);
  });

  it('a file with one bad line imports nothing and names the line and the rule', async () => {
    const before = await counts(ctx.handle.db);
    const text = registryCsv([
      { prm: '30001000000010', segment: 'C5' },
      { prm: '30001000000011', segment: 'C5', siren: '356000001' },
      { prm: '30001000000012', segment: 'C5' },
    ]);
    const error = await rejection(run(ctx.handle.db, text));
    assert.deepEqual(error.lineErrors, [{ line: 3, reason: 'SIREN "356000001" fails the Luhn checksum' }]);
    assert.match(error.detail, /registry\.csv:3: SIREN "356000001" fails the Luhn checksum/);
    assert.deepEqual(await counts(ctx.handle.db), before);
  });

  it('reports every bad line: C3, 13-digit PRM, bad date, wrong step, power out of segment', async () => {
    const text = registryCsv([
      { prm: '30001000000020', segment: 'C3' },
      { prm: '3000100000002' },
      { prm: '30001000000022', start: '2024-02-30' },
      { prm: '30001000000023', segment: 'C4', step: 'PT30M' },
      { prm: '30001000000024', segment: 'C5', kva: '48' },
      '30001000000025;too;few',
    ]);
    const error = await rejection(run(ctx.handle.db, text));
    assert.deepEqual(
      error.lineErrors.map((e) => e.line),
      [2, 3, 4, 5, 6, 7],
    );
    assert.match(error.lineErrors[0]!.reason, /C3 is obsolete/);
    assert.match(error.lineErrors[1]!.reason, /14 digits/);
    assert.match(error.lineErrors[2]!.reason, /2024-02-30/);
    assert.match(error.lineErrors[3]!.reason, /PT30M.*category A/);
    assert.match(error.lineErrors[4]!.reason, /at most 36/);
    assert.match(error.lineErrors[5]!.reason, /expected 13 fields/);
  });

  it('refuses a header that is not the documented layout', async () => {
    const error = await rejection(run(ctx.handle.db, 'prm;siren\n30001000000001;356000000\n'));
    assert.equal(error.lineErrors[0]!.line, 1);
  });

  it('refuses an attachment overlapping a stored one, and keeps the store unchanged', async () => {
    const before = await counts(ctx.handle.db);
    const text = registryCsv([
      { prm: '30001000000001', segment: 'C4', kva: '250', siren: '552100554', start: '2025-01-01' },
    ]);
    const error = await rejection(run(ctx.handle.db, text));
    assert.match(error.lineErrors[0]!.reason, /overlaps the stored attachment .* SIREN 356000000/);
    assert.deepEqual(await counts(ctx.handle.db), before);
  });

  it('moves a PRM to another owner: ending the old attachment and starting a new one in one file', async () => {
    const text = registryCsv([
      { prm: '30001000000001', segment: 'C4', kva: '250', step: 'PT5M', end: '2026-02-01' },
      {
        prm: '30001000000001',
        segment: 'C4',
        kva: '250',
        step: 'PT5M',
        siren: '552100554',
        start: '2026-02-01',
      },
    ]);
    const result = await run(ctx.handle.db, text);
    assert.equal(result.attachmentsUpdated, 1);
    assert.equal(result.attachmentsCreated, 1);
    const prms = new PrmRepository(ctx.handle.db);
    assert.deepEqual(
      (await prms.listAttachedOn('356000000', '2026-01-31', 'A')).map((p) => p.prm),
      ['30001000000001'],
    );
    assert.deepEqual(await prms.listAttachedOn('356000000', '2026-02-01', 'A'), []);
    assert.equal(await prms.countAttachedOn('552100554', 'A', '2026-02-01'), 1);
  });

  it('refuses a SIREN claimed by two entreprises and a PRM described twice differently', async () => {
    const text = registryCsv([
      { prm: '30001000000030', entreprise: 'Autre SA', siren: '732829320' },
      { prm: '30001000000031', entreprise: 'Encore SA', siren: '732829320' },
      { prm: '30001000000032', kva: '6' },
      { prm: '30001000000032', kva: '9', start: '2027-01-01' },
    ]);
    const error = await rejection(run(ctx.handle.db, text));
    assert.match(error.lineErrors[0]!.reason, /belongs to entreprise "Autre SA" on line 2/);
    assert.match(error.lineErrors[1]!.reason, /described differently on line 4/);
  });

  it('audits each change with the operator as actor', async () => {
    const entreprise = await ctx.handle.db.selectFrom('entreprise').select('id').executeTakeFirstOrThrow();
    const entries = await new AuditRepository(ctx.handle.db).listForEntreprise(entreprise.id);
    const actions = new Set(entries.map((e) => e.action));
    for (const action of [
      'registry.entreprise.created',
      'registry.prm.created',
      'registry.attachment.updated',
    ]) {
      assert.ok(actions.has(action), action);
    }
    assert.ok(entries.every((e) => e.actor.label === 'test'));
  });
});

describeEachEngine('registry import, set-wise', (ctx) => {
  const gamma = { entreprise: 'Gamma SA', siren: '732829320' };

  async function auditRows(db: Db) {
    const rows = await db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    return rows.map((r) => ({
      entreprise: r.entreprise_id,
      action: r.action,
      target: r.target,
      before: r.before_value === null ? undefined : (JSON.parse(r.before_value) as unknown),
      after: r.after_value === null ? undefined : (JSON.parse(r.after_value) as unknown),
    }));
  }

  it('audits each change in file order, one PRM on two lines with two attachments', async () => {
    const text = registryCsv([
      { ...gamma, prm: '30002000000001', end: '2025-01-01', collection: '2024-06-01' },
      { ...gamma, siren: '443061841', prm: '30002000000001', start: '2025-01-01' },
    ]);
    const result = await run(ctx.handle.db, text);
    assert.deepEqual(result, {
      entreprisesCreated: 1,
      sirensCreated: 2,
      prmsCreated: 1,
      prmsUpdated: 0,
      attachmentsCreated: 2,
      attachmentsUpdated: 0,
      collectionPeriodsCreated: 1,
      linesUnchanged: 0,
    });
    const id = (await new EntrepriseRepository(ctx.handle.db).findByName('Gamma SA'))!.id;
    const prm = (await new PrmRepository(ctx.handle.db).find('30002000000001'))!;
    assert.deepEqual(await auditRows(ctx.handle.db), [
      {
        entreprise: id,
        action: 'registry.entreprise.created',
        target: `entreprise:${id}`,
        before: undefined,
        after: { name: 'Gamma SA' },
      },
      {
        entreprise: id,
        action: 'registry.siren.created',
        target: 'siren:732829320',
        before: undefined,
        after: { siren: '732829320' },
      },
      {
        entreprise: id,
        action: 'registry.prm.created',
        target: 'prm:30002000000001',
        before: undefined,
        after: prm,
      },
      {
        entreprise: id,
        action: 'registry.attachment.created',
        target: 'prm:30002000000001',
        before: undefined,
        after: { siren: '732829320', start: '2024-01-01', end: '2025-01-01' },
      },
      {
        entreprise: id,
        action: 'registry.curve_collection.enabled',
        target: 'prm:30002000000001',
        before: undefined,
        after: { start: '2024-06-01' },
      },
      {
        entreprise: id,
        action: 'registry.siren.created',
        target: 'siren:443061841',
        before: undefined,
        after: { siren: '443061841' },
      },
      {
        entreprise: id,
        action: 'registry.attachment.created',
        target: 'prm:30002000000001',
        before: undefined,
        after: { siren: '443061841', start: '2025-01-01', end: null },
      },
    ]);
    const attachments = await new PrmRepository(ctx.handle.db).attachmentsOf('30002000000001');
    assert.deepEqual(
      attachments.map((a) => [a.siren, a.startDate, a.endDate]),
      [
        ['732829320', '2024-01-01', '2025-01-01'],
        ['443061841', '2025-01-01', null],
      ],
    );
  });

  it('re-importing changes nothing and appends no audit entry', async () => {
    const text = registryCsv([
      { ...gamma, prm: '30002000000001', end: '2025-01-01', collection: '2024-06-01' },
      { ...gamma, siren: '443061841', prm: '30002000000001', start: '2025-01-01' },
    ]);
    const before = await counts(ctx.handle.db);
    const result = await run(ctx.handle.db, text);
    assert.equal(result.linesUnchanged, 2);
    assert.deepEqual(await counts(ctx.handle.db), before);
  });

  it('updates attributes and ends an attachment, with before and after in the audit', async () => {
    const auditBefore = (await auditRows(ctx.handle.db)).length;
    const text = registryCsv([
      { ...gamma, prm: '30002000000001', label: 'Atelier', end: '2025-01-01', collection: '2024-06-01' },
      {
        ...gamma,
        siren: '443061841',
        prm: '30002000000001',
        label: 'Atelier',
        start: '2025-01-01',
        end: '2026-01-01',
      },
    ]);
    const result = await run(ctx.handle.db, text);
    assert.equal(result.prmsUpdated, 1);
    assert.equal(result.attachmentsUpdated, 1);
    assert.equal(result.linesUnchanged, 0);
    const added = (await auditRows(ctx.handle.db)).slice(auditBefore);
    assert.deepEqual(
      added.map((a) => a.action),
      ['registry.prm.updated', 'registry.attachment.updated'],
    );
    assert.equal((added[0]!.before as { label: string }).label, 'Site 0001');
    assert.equal((added[0]!.after as { label: string }).label, 'Atelier');
    assert.deepEqual(added[1]!.before, { siren: '443061841', start: '2025-01-01', end: null });
    assert.deepEqual(added[1]!.after, { siren: '443061841', start: '2025-01-01', end: '2026-01-01' });
    assert.equal((await new PrmRepository(ctx.handle.db).find('30002000000001'))?.label, 'Atelier');
  });

  it('adds a collection period only for a start no stored period covers', async () => {
    const prms = new PrmRepository(ctx.handle.db);
    const line = { ...gamma, prm: '30002000000001', label: 'Atelier', end: '2025-01-01' };
    const covered = await run(ctx.handle.db, registryCsv([{ ...line, collection: '2025-03-01' }]));
    assert.equal(covered.collectionPeriodsCreated, 0);
    assert.equal(covered.linesUnchanged, 1);
    const earlier = await run(ctx.handle.db, registryCsv([{ ...line, collection: '2024-02-01' }]));
    assert.equal(earlier.collectionPeriodsCreated, 1);
    assert.deepEqual(
      (await prms.collectionPeriodsOf('30002000000001')).map((p) => [p.startDate, p.endDate]),
      [
        ['2024-02-01', null],
        ['2024-06-01', null],
      ],
    );
  });

  it('refuses, on each line naming it, a SIREN of another entreprise, and a category change once per PRM', async () => {
    const before = await counts(ctx.handle.db);
    const c4 = { ...gamma, siren: '443061841', prm: '30002000000001', segment: 'C4', kva: '250' };
    const text = registryCsv([
      { entreprise: 'Delta SA', siren: '732829320', prm: '30002000000010' },
      { entreprise: 'Delta SA', siren: '552100554', prm: '30002000000011' },
      { entreprise: 'Delta SA', siren: '732829320', prm: '30002000000012' },
      { ...c4, start: '2027-01-01', end: '2028-01-01' },
      { ...c4, start: '2028-01-01' },
    ]);
    const error = await rejection(run(ctx.handle.db, text));
    assert.deepEqual(error.lineErrors, [
      { line: 2, reason: 'SIREN 732829320 already belongs to another entreprise' },
      { line: 4, reason: 'SIREN 732829320 already belongs to another entreprise' },
      {
        line: 5,
        reason: 'PRM 30002000000001 is category B; a segment change to C4 would change its category',
      },
    ]);
    assert.deepEqual(await counts(ctx.handle.db), before);
  });

  it('refuses an attachment taken by another SIREN from the same day and one overlapping a stored one', async () => {
    const text = registryCsv([
      { ...gamma, prm: '30002000000001', siren: '443061841', label: 'Atelier', end: '2025-01-01' },
      { ...gamma, prm: '30002000000001', label: 'Atelier', start: '2025-06-01' },
    ]);
    const error = await rejection(run(ctx.handle.db, text));
    assert.deepEqual(error.lineErrors, [
      { line: 2, reason: 'PRM 30002000000001 is already attached to SIREN 732829320 from 2024-01-01' },
      {
        line: 3,
        reason:
          'attachment overlaps the stored attachment of PRM 30002000000001 to SIREN 443061841 (2025-01-01 – 2026-01-01)',
      },
    ]);
  });

  it('reads and writes in batches: 2 500 PRMs, then a few spread over them, then the same again', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      ...gamma,
      prm: prmNumber(i + 1, '301'),
      collection: i % 2 === 0 ? '2024-06-01' : '',
    }));
    const phases: string[] = [];
    const first = await importRegistryCsv(ctx.handle.db, registryCsv(rows), {
      source: 'registry.csv',
      now: NOW,
      actor,
      onProgress: (done, total, phase) => {
        if (done === total) phases.push(`${phase} ${done}`);
      },
    });
    assert.equal(first.prmsCreated, 2500);
    assert.equal(first.collectionPeriodsCreated, 1250);
    // A PRM, an attachment and their audit entries per line; a period and its entry for every other.
    assert.deepEqual(phases, ['read 2500', `write ${2500 * 4 + 1250 * 2}`]);
    // A few PRMs far apart: the store holds many more in their key range than the file asks.
    const spread = [rows[0]!, { ...rows[1249]!, label: 'Milieu' }, rows[2499]!];
    const few = await run(ctx.handle.db, registryCsv(spread));
    assert.deepEqual([few.prmsUpdated, few.linesUnchanged, few.prmsCreated], [1, 2, 0]);
    const before = await counts(ctx.handle.db);
    const again = await run(ctx.handle.db, registryCsv(rows.map((r, i) => (i === 1249 ? spread[1]! : r))));
    assert.equal(again.linesUnchanged, 2500);
    assert.deepEqual(await counts(ctx.handle.db), before);
  });
});
