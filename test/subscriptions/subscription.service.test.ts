import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AppError } from '../../src/domain/app-error.js';
import { formatForWindow } from '../../src/domain/subscription-rules.js';
import { AuditRepository, type AuditActor } from '../../src/db/audit.repository.js';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { SubscriptionRepository } from '../../src/db/subscription.repository.js';
import { enforceJsonAboveLimit } from '../../src/subscriptions/json-above-limit.js';
import { SubscriptionService } from '../../src/subscriptions/subscription.service.js';
import { describeEachEngine } from '../support/databases.js';
import { prmNumber, registryCsv, seedEntreprise } from '../support/registry-fixtures.js';
import { RecordingNotifier } from '../support/web.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';

const ACTOR: AuditActor = { type: 'user', id: '1', label: 'gestion@cent.fr' };
const T0 = new Date('2026-03-02T09:00:00Z');
const H72 = 72 * 3600 * 1000;

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describeEachEngine('subscription service', (ctx) => {
  let cent: number;
  let centUn: number;
  const service = () => new SubscriptionService(ctx.handle.db);

  it('reads the grid of a SIREN and category with codes, labels and the PRM count', async () => {
    await seedEntreprise(ctx.handle.db, { name: 'Cent SA', siren: '356000000', prms: 100, prefix: '100' });
    await seedEntreprise(ctx.handle.db, { name: 'Cent Un SA', siren: '552100554', prms: 101, prefix: '101' });
    const entreprises = new EntrepriseRepository(ctx.handle.db);
    cent = (await entreprises.findByName('Cent SA'))!.id;
    centUn = (await entreprises.findByName('Cent Un SA'))!.id;
    const grid = await service().readGrid('356000000', 'B', T0);
    assert.equal(grid.prmCount, 100);
    assert.equal(grid.csvAllowed, true);
    assert.equal(grid.lines.length, 6);
    assert.deepEqual(
      grid.lines.map((l) => [l.dataType, l.frequency, l.codeFlux, l.subscribed]),
      [
        ['INDEX', 'Q', 'R64B', false],
        ['INDEX', 'H', 'R64B', false],
        ['INDEX', 'M', 'R64B', false],
        ['CDC_BRUTE', 'Q', 'R63B', false],
        ['CDC_BRUTE', 'H', 'R63B', false],
        ['CDC_BRUTE', 'M', 'R63B', false],
      ],
    );
    assert.equal((await service().readGrid('552100554', 'B', T0)).csvAllowed, false);
  });

  it('accepts CSV at 100 PRM and refuses it at 101, naming the line', async () => {
    await service().applyGrid(
      { entrepriseId: cent, siren: '356000000', category: 'B' },
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      ACTOR,
      T0,
    );
    const error = await rejection(
      service().applyGrid(
        { entrepriseId: centUn, siren: '552100554', category: 'B' },
        [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
        ACTOR,
        T0,
      ),
    );
    assert.equal(error.code, 'CSV_NOT_ALLOWED_OVER_100_PRM');
    assert.equal(error.params.line, 1);
    await service().applyGrid(
      { entrepriseId: centUn, siren: '552100554', category: 'B' },
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'JSON' }],
      ACTOR,
      T0,
    );
    // Changing the format of a live subscription to CSV is the same rule: refused at 101 PRM…
    const change = await rejection(
      service().applyGrid(
        { entrepriseId: centUn, siren: '552100554', category: 'B' },
        [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
        ACTOR,
        T0,
      ),
    );
    assert.equal(change.code, 'CSV_NOT_ALLOWED_OVER_100_PRM');
    assert.deepEqual(
      (await new SubscriptionRepository(ctx.handle.db).listLive('552100554', 'B')).map((s) => s.format),
      ['JSON'],
      'nothing changed',
    );
    // …and taken at 100 PRM.
    await seedEntreprise(ctx.handle.db, {
      name: 'Cent Bis SA',
      siren: '443061841',
      prms: 100,
      prefix: '102',
    });
    const centBis = (await new EntrepriseRepository(ctx.handle.db).findByName('Cent Bis SA'))!.id;
    for (const format of ['JSON', 'CSV'] as const) {
      await service().applyGrid(
        { entrepriseId: centBis, siren: '443061841', category: 'B' },
        [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format }],
        ACTOR,
        T0,
      );
    }
    assert.deepEqual(
      (await new SubscriptionRepository(ctx.handle.db).listLive('443061841', 'B')).map((s) => s.format),
      ['CSV'],
    );
  });

  it('changes nothing when one line of the grid is invalid', async () => {
    const before = await service().readGrid('356000000', 'B', T0);
    const auditBefore = await new AuditRepository(ctx.handle.db).listForEntreprise(cent, { limit: 500 });
    const error = await rejection(
      service().applyGrid(
        { entrepriseId: cent, siren: '356000000', category: 'B' },
        [
          { dataType: 'INDEX', frequency: 'Q', subscribed: false },
          { dataType: 'INDEX', frequency: 'H', subscribed: true, format: 'JSON' },
          { dataType: 'CDC_CORRIGEE', frequency: 'M', subscribed: true, format: 'JSON' },
        ],
        ACTOR,
        T0,
      ),
    );
    assert.equal(error.code, 'NOT_IN_CATALOG');
    assert.equal(error.params.line, 3);
    assert.deepEqual(await service().readGrid('356000000', 'B', T0), before);
    const auditAfter = await new AuditRepository(ctx.handle.db).listForEntreprise(cent, { limit: 500 });
    assert.equal(auditAfter.length, auditBefore.length, 'nothing audited either');
  });

  it('is pending until 72 h after the request, effective at 72 h exactly', async () => {
    const line = (await service().readGrid('356000000', 'B', new Date(T0.getTime() + H72 - 1000))).lines[0]!;
    assert.equal(line.status, 'PENDING');
    assert.equal(line.effectiveAt?.toISOString(), new Date(T0.getTime() + H72).toISOString());
    assert.equal(
      (await service().readGrid('356000000', 'B', new Date(T0.getTime() + H72))).lines[0]!.status,
      'EFFECTIVE',
    );
  });

  it('allows channel association only once effective, and only within the entreprise', async () => {
    const line = (await service().readGrid('356000000', 'B', T0)).lines[0]!;
    const early = await rejection(
      service().requireChannelAssociable(cent, line.subscriptionId!, new Date(T0.getTime() + H72 - 1000)),
    );
    assert.equal(early.code, 'SUBSCRIPTION_NOT_YET_EFFECTIVE');
    const ok = await service().requireChannelAssociable(
      cent,
      line.subscriptionId!,
      new Date(T0.getTime() + H72),
    );
    assert.equal(ok.id, line.subscriptionId);
    const foreign = await rejection(
      service().requireChannelAssociable(centUn, line.subscriptionId!, new Date(T0.getTime() + H72)),
    );
    assert.equal(foreign.code, 'NOT_FOUND');
  });

  it('unsubscribes at once and restarts the 72 h on resubscription, keeping the ended row', async () => {
    const t1 = new Date(T0.getTime() + 5 * H72);
    const scope = { entrepriseId: cent, siren: '356000000', category: 'B' as const };
    const first = (await service().readGrid('356000000', 'B', t1)).lines[0]!;
    await service().applyGrid(scope, [{ dataType: 'INDEX', frequency: 'Q', subscribed: false }], ACTOR, t1);
    assert.equal((await service().readGrid('356000000', 'B', t1)).lines[0]!.subscribed, false);
    const t2 = new Date(t1.getTime() + 60_000);
    await service().applyGrid(
      scope,
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
      ACTOR,
      t2,
    );
    const again = (await service().readGrid('356000000', 'B', t2)).lines[0]!;
    assert.notEqual(again.subscriptionId, first.subscriptionId, 'a new subscription row');
    assert.notEqual(again.idDemande, first.idDemande);
    assert.equal(again.status, 'PENDING');
    assert.equal(again.effectiveAt?.toISOString(), new Date(t2.getTime() + H72).toISOString());
    const ended = await new SubscriptionRepository(ctx.handle.db).find(first.subscriptionId!);
    assert.equal(ended?.endedAt?.toISOString(), t1.toISOString(), 'the ended row is kept');
    const actions = (
      await new AuditRepository(ctx.handle.db).listForEntreprise(cent, { action: 'subscription.' })
    ).map((e) => e.action);
    assert.deepEqual(actions.slice(0, 3), [
      'subscription.created',
      'subscription.ended',
      'subscription.created',
    ]);
  });

  it('applies a format change from the next window and audits it', async () => {
    const scope = { entrepriseId: cent, siren: '356000000', category: 'B' as const };
    const at = new Date('2026-03-20T14:00:00Z');
    await service().applyGrid(
      scope,
      [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'JSON' }],
      ACTOR,
      at,
    );
    const line = (await service().readGrid('356000000', 'B', at)).lines[0]!;
    assert.equal(line.format, 'JSON');
    const history = await new SubscriptionRepository(ctx.handle.db).formatHistory(line.subscriptionId!);
    assert.equal(
      formatForWindow(history, new Date('2026-03-19T23:00:00Z')),
      'CSV',
      'the current window keeps CSV',
    );
    assert.equal(formatForWindow(history, new Date('2026-03-20T23:00:00Z')), 'JSON', 'the next one is JSON');
    const [entry] = await new AuditRepository(ctx.handle.db).listForEntreprise(cent, {
      action: 'subscription.format',
    });
    assert.deepEqual(entry?.before, { format: 'CSV' });
    assert.equal((entry?.after as { format: string }).format, 'JSON');
  });

  it('switches CSV to JSON when the SIREN passes 100 PRM, audits it and notifies', async () => {
    const scope = { entrepriseId: cent, siren: '356000000', category: 'B' as const };
    const at = new Date('2026-03-21T10:00:00Z');
    await service().applyGrid(
      scope,
      [{ dataType: 'CDC_BRUTE', frequency: 'M', subscribed: true, format: 'CSV' }],
      ACTOR,
      at,
    );
    const notifier = new RecordingNotifier();
    assert.deepEqual(
      await enforceJsonAboveLimit(ctx.handle.db, { now: at, notifier }),
      [],
      '100 PRM: CSV stays',
    );
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([{ entreprise: 'Cent SA', siren: '356000000', prm: prmNumber(101, '100') }]),
      { source: 'more.csv', now: at, actor: { type: 'system', id: null, label: 'test' } },
    );
    const switched = await enforceJsonAboveLimit(ctx.handle.db, { now: at, notifier });
    assert.equal(switched.length, 1);
    assert.equal(switched[0]!.prmCount, 101);
    const grid = await service().readGrid('356000000', 'B', at);
    assert.deepEqual(
      grid.lines.filter((l) => l.subscribed).map((l) => l.format),
      ['JSON', 'JSON'],
    );
    const history = await new SubscriptionRepository(ctx.handle.db).formatHistory(
      switched[0]!.subscription.id,
    );
    assert.equal(
      formatForWindow(history, new Date('2026-03-01T00:00:00Z')),
      'JSON',
      'the very next publication',
    );
    const [entry] = await new AuditRepository(ctx.handle.db).listForEntreprise(cent, {
      action: 'subscription.format_switched_to_json',
    });
    assert.equal(entry?.actor.type, 'system');
    assert.equal(notifier.messages.length, 1);
    assert.equal(notifier.messages[0]!.entrepriseId, cent);
    assert.equal(notifier.messages[0]!.kind, 'FORMAT_SWITCHED_TO_JSON');
    assert.match(notifier.messages[0]!.text, /plus de 100 PRM/);
    assert.deepEqual(await enforceJsonAboveLimit(ctx.handle.db, { now: at, notifier }), [], 'idempotent');
  });

  it('counts the 100 PRM per category: a SIREN past 100 in B keeps CSV in A', async () => {
    const siren = '732829320';
    await seedEntreprise(ctx.handle.db, { name: 'Mixte SA', siren, prms: 100, prefix: '103' });
    await seedEntreprise(ctx.handle.db, { name: 'Mixte SA', siren, prms: 2, category: 'A', prefix: '104' });
    const mixte = (await new EntrepriseRepository(ctx.handle.db).findByName('Mixte SA'))!.id;
    const at = new Date('2026-03-21T10:00:00Z');
    for (const category of ['A', 'B'] as const) {
      await service().applyGrid(
        { entrepriseId: mixte, siren, category },
        [{ dataType: 'INDEX', frequency: 'Q', subscribed: true, format: 'CSV' }],
        ACTOR,
        at,
      );
    }
    await importRegistryCsv(
      ctx.handle.db,
      registryCsv([{ entreprise: 'Mixte SA', siren, prm: prmNumber(101, '103') }]),
      { source: 'more.csv', now: at, actor: { type: 'system', id: null, label: 'test' } },
    );
    const switched = await enforceJsonAboveLimit(ctx.handle.db, {
      now: at,
      notifier: new RecordingNotifier(),
      siren,
    });
    assert.deepEqual(
      switched.map((s) => [s.subscription.category, s.prmCount]),
      [['B', 101]],
    );
    const formats = async (category: 'A' | 'B') =>
      (await new SubscriptionRepository(ctx.handle.db).listLive(siren, category)).map((s) => s.format);
    assert.deepEqual(await formats('B'), ['JSON'], 'category B, 101 PRM: switched');
    assert.deepEqual(await formats('A'), ['CSV'], 'category A, 2 PRM: CSV stays');
  });

  it('keeps one live subscription per line even under a concurrent double submit', async () => {
    const scope = { entrepriseId: centUn, siren: '552100554', category: 'B' as const };
    const edits = [{ dataType: 'CDC_BRUTE', frequency: 'H', subscribed: true, format: 'JSON' as const }];
    const results = await Promise.allSettled([
      service().applyGrid(scope, edits, ACTOR, T0),
      service().applyGrid(scope, edits, ACTOR, T0),
    ]);
    assert.ok(results.some((r) => r.status === 'fulfilled'));
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'CONCURRENT_CHANGE');
    }
    const live = await new SubscriptionRepository(ctx.handle.db).listLive('552100554', 'B');
    assert.equal(live.filter((s) => s.dataType === 'CDC_BRUTE' && s.frequency === 'H').length, 1);
  });
});
