import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { FAST_ATTEMPTS } from '../../src/domain/retry-policy.js';
import { describeEachEngine } from '../support/databases.js';
import {
  ALPHA_SIREN,
  fullCurveDay,
  PRM_B1,
  seedPublicationRegistry,
  storeCurves,
  subscribeAlphaDailyCurves,
} from '../support/publication-fixtures.js';
import { bearer, json, seedOperator, startTestServer, type TestServer } from '../support/web.js';

interface RunView {
  id: number;
  subscriptionId: number;
  siren: string | null;
  status: string;
  numSequence: number | null;
  horodate: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

describeEachEngine('operator routes of publication runs in trouble', (ctx) => {
  let server: TestServer;
  let operator: Record<string, string>;
  let runId: number;
  let horodate: string;

  before(async () => {
    const db = ctx.handle.db;
    const { alpha } = await seedPublicationRegistry(db);
    server = await startTestServer(ctx.handle, '2026-05-05T06:00:00Z');
    operator = bearer(await seedOperator(ctx.handle, 'exploitation@distributeur.fr'));
    const subscriptionId = await subscribeAlphaDailyCurves(db, alpha, new Date('2026-05-03T22:00:00Z'));
    await storeCurves(
      db,
      [fullCurveDay(PRM_B1, '2026-05-03', 'B', 30, 100)],
      new Date('2026-05-04T10:00:00Z'),
    );
    await server.publication.schedule();
    // The run as a long fault leaves it: past its fast attempts, next try in an hour.
    const [run] = await new PublicationRunRepository(db).listForSubscription(subscriptionId);
    runId = run!.id;
    horodate = run!.horodate.toISOString();
    await db
      .updateTable('publication_run')
      .set({
        attempts: FAST_ATTEMPTS + 1,
        last_error: 'archive disk full',
        lease_expires_at: '2026-05-05T07:00:00.000Z',
      })
      .where('id', '=', runId)
      .execute();
  });
  after(() => server.app.close());

  it('lists failing runs with their identity, attempts and next try', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: '/api/v1/operator/runs?status=failing',
      headers: operator,
    });
    assert.equal(response.statusCode, 200);
    const [run, ...others] = json<RunView[]>(response);
    assert.equal(others.length, 0);
    assert.deepEqual(
      [run!.id, run!.siren, run!.status, run!.numSequence, run!.attempts, run!.lastError, run!.nextAttemptAt],
      [runId, ALPHA_SIREN, 'pending', 1, FAST_ATTEMPTS + 1, 'archive disk full', '2026-05-05T07:00:00.000Z'],
    );
    const failed = await server.app.inject({
      method: 'GET',
      url: '/api/v1/operator/runs?status=failed',
      headers: operator,
    });
    assert.deepEqual(json(failed), []);
  });

  it('runs a failing run at once with its original identity, audited', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: `/api/v1/operator/runs/${runId}/retry`,
      headers: operator,
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = json<{ outcome: string; publicationId: number; run: RunView }>(response);
    assert.deepEqual(
      [body.outcome, body.run.status, body.run.numSequence, body.run.horodate],
      ['done', 'done', 1, horodate],
    );
    const publication = await new PublicationRepository(ctx.handle.db).find(body.publicationId);
    assert.equal(publication?.numSequence, 1);
    const entries = await ctx.handle.db
      .selectFrom('audit_log')
      .select(['action', 'actor_type', 'actor_label', 'target'])
      .where('action', '=', 'publication.run.retried')
      .execute();
    assert.deepEqual(entries, [
      {
        action: 'publication.run.retried',
        actor_type: 'operator',
        actor_label: 'exploitation@distributeur.fr',
        target: `subscription:${body.run.subscriptionId}`,
      },
    ]);
    const list = await server.app.inject({ method: 'GET', url: '/api/v1/operator/runs', headers: operator });
    assert.deepEqual(json(list), [], 'no longer in trouble');
  });

  it('refuses a run already published, and an unknown run', async () => {
    const done = await server.app.inject({
      method: 'POST',
      url: `/api/v1/operator/runs/${runId}/retry`,
      headers: operator,
    });
    assert.equal(done.statusCode, 409);
    assert.equal(json<{ code: string }>(done).code, 'RUN_NOT_RETRYABLE');
    const unknown = await server.app.inject({
      method: 'POST',
      url: `/api/v1/operator/runs/${runId + 1000}/retry`,
      headers: operator,
    });
    assert.equal(unknown.statusCode, 404);
  });
});
