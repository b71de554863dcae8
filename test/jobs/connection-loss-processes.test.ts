import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DeliveryRepository } from '../../src/db/delivery.repository.js';
import { SubscriptionChannelRepository } from '../../src/db/subscription-channel.repository.js';
import { addDays, dayStart, localDayOf } from '../../src/domain/paris-calendar.js';
import { cliEnv, startCli } from '../support/cli.js';
import {
  POSTGRES_ADMIN_URL,
  TEST_ENGINES,
  createTestDatabase,
  type TestDatabase,
} from '../support/databases.js';
import {
  fullCurveDay,
  PRM_B1,
  PRM_B3,
  seedEmailChannel,
  seedPublicationRegistry,
  storeCurves,
  subscribeAlphaDailyCurves,
} from '../support/publication-fixtures.js';

/** Days of collected data, each published in its own daily window. */
const DAYS = 30;

interface Started {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: () => boolean;
}

function start(name: string, args: string[], env: Record<string, string>): Started {
  const child = startCli(args, env);
  let output = '';
  let ended = false;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => (ended = true));
  return { name, child, output: () => output, exited: () => ended };
}

/** Waits until `condition` holds, polling; fails with `what` and `state()` after `ms`. */
async function until(
  what: string,
  ms: number,
  condition: () => Promise<boolean>,
  state: () => Promise<unknown> = () => Promise.resolve(''),
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await state())}`);
    await sleep(200);
  }
}

/**
 * A PostgreSQL restart, a failover or an administrator's `pg_terminate_backend` closes every
 * connection at once, including those a run's transaction, a cursor or a delivery holds. `serve` and
 * `worker` must live through it: the interrupted work is redone, once, on new connections.
 */
describe(
  'serve and workers when PostgreSQL closes every connection',
  { skip: !TEST_ENGINES.includes('postgres'), timeout: 300_000 },
  () => {
    let database: TestDatabase;
    let admin: pg.Client;
    let name: string;
    const processes: Started[] = [];

    before(async () => {
      database = await createTestDatabase('postgres');
      name = new URL(database.url).pathname.slice(1);
      admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
    });
    after(async () => {
      for (const p of processes) if (!p.exited()) p.child.kill('SIGKILL');
      await admin.end();
      await database.drop();
    });

    /** Terminates every connection to the test database (not the test's admin connection). */
    async function terminateAll(times: number): Promise<number> {
      let total = 0;
      for (let i = 0; i < times; i++) {
        const { rows } = await admin.query<{ n: number }>(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
        total += rows[0]!.n;
        await sleep(300);
      }
      return total;
    }

    function assertAllAlive(pids: Map<string, number | undefined>): void {
      for (const p of processes) {
        assert.equal(p.exited(), false, `${p.name} exited:\n${p.output()}`);
        assert.equal(p.child.pid, pids.get(p.name));
      }
      for (const p of processes) {
        assert.doesNotMatch(
          p.output(),
          /Unhandled 'error' event|UnhandledPromiseRejection|uncaughtException/,
          `${p.name}:\n${p.output()}`,
        );
      }
    }

    it('stay up, publish every run once without numSequence gaps, deliver each delivery once', async () => {
      const db = database.handle.db;
      const { alpha } = await seedPublicationRegistry(db);
      const today = localDayOf(new Date());
      const first = addDays(today, -DAYS);
      const effectiveAt = dayStart(first);
      const subscriptions = [await subscribeAlphaDailyCurves(db, alpha, effectiveAt)];
      const channelId = await seedEmailChannel(db, alpha, 'energie@alpha.example', 'Service énergie');
      for (const id of subscriptions)
        await new SubscriptionChannelRepository(db).replace(id, [channelId], effectiveAt);
      // Each day collected the next morning: one file per day.
      for (let back = DAYS; back >= 2; back--) {
        const day = addDays(today, -back);
        await storeCurves(
          db,
          [fullCurveDay(PRM_B1, day, 'B', 30, 1000 + back), fullCurveDay(PRM_B3, day, 'B', 30, 5000 + back)],
          new Date(dayStart(addDays(day, 1)).getTime() + 6 * 3_600_000),
        );
      }
      const expectedFiles = subscriptions.length * (DAYS - 1);

      const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-connection-loss-'));
      const env = cliEnv({ PUBLIWATT_DATABASE_URL: database.url, PUBLIWATT_DATA_DIR: dataDir });
      const port = 20000 + Math.floor(Math.random() * 20000);
      processes.push(
        start('serve', ['serve', '--host', '127.0.0.1', '--port', String(port), '--job-interval', '1'], env),
        start('worker-1', ['worker', '--interval', '1'], env),
        start('worker-2', ['worker', '--interval', '1'], env),
      );
      const pids = new Map(processes.map((p) => [p.name, p.child.pid]));
      const unfinished = async () => ({
        runs: await db
          .selectFrom('publication_run')
          .select(['id', 'status', 'attempts', 'lease_owner', 'lease_expires_at', 'last_error'])
          .where('status', 'not in', ['done', 'empty'])
          .execute(),
        deliveries: await db
          .selectFrom('delivery')
          .select(['id', 'status', 'attempts', 'lease_owner', 'next_attempt_at', 'last_error'])
          .where('status', '!=', 'delivered')
          .execute(),
      });
      const count = async (table: 'publication' | 'delivery', status?: string) => {
        let query = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
        if (status) query = query.where('status' as never, '=', status as never);
        return Number((await query.executeTakeFirstOrThrow()).n);
      };

      // 1. Connections cut while runs are being published.
      await until('a first publication', 120_000, async () => {
        assertAllAlive(pids);
        return (await count('publication')) > 0;
      });
      assert.ok((await count('publication')) < expectedFiles, 'the cut falls during the publications');
      assert.ok((await terminateAll(3)) > 0, 'connections were terminated');
      await until(
        'every file published and delivered',
        150_000,
        async () => {
          assertAllAlive(pids);
          return (
            (await count('publication')) === expectedFiles &&
            (await count('delivery', 'delivered')) === expectedFiles
          );
        },
        unfinished,
      );
      assertAllAlive(pids);

      // 2. Connections cut while deliveries are being sent: every file re-sent once.
      const publications = await db.selectFrom('publication').select(['id', 'archive_name']).execute();
      const deliveries = new DeliveryRepository(db);
      for (const p of publications) await deliveries.createResend(p.id, alpha, channelId, 'test', new Date());
      await until('a first re-send delivered', 60_000, async () => {
        assertAllAlive(pids);
        return (await count('delivery', 'delivered')) > expectedFiles;
      });
      assert.ok((await terminateAll(3)) > 0, 'connections were terminated');
      await until(
        'every re-send delivered',
        150_000,
        async () => {
          assertAllAlive(pids);
          return (await count('delivery', 'delivered')) === 2 * expectedFiles;
        },
        unfinished,
      );

      // 3. /healthz of serve answers again on a new connection.
      await until('/healthz answering 200', 30_000, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        return response?.status === 200;
      });
      assertAllAlive(pids);

      // Exactly once: one publication per run, numSequence 1..n per subscription, each file mailed twice.
      const runs = await db
        .selectFrom('publication_run')
        .select(['id', 'status', 'subscription_id'])
        .execute();
      assert.deepEqual(
        runs.filter((r) => r.status !== 'done' && r.status !== 'empty'),
        [],
      );
      const perRun = await db
        .selectFrom('publication')
        .select(['run_id', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('run_id')
        .execute();
      assert.equal(perRun.length, expectedFiles);
      assert.ok(
        perRun.every((r) => Number(r.n) === 1),
        'one publication per run',
      );
      assert.equal(runs.filter((r) => r.status === 'done').length, expectedFiles);
      for (const id of subscriptions) {
        const sequences = (
          await db
            .selectFrom('publication')
            .select('num_sequence')
            .where('subscription_id', '=', id)
            .orderBy('num_sequence')
            .execute()
        ).map((r) => r.num_sequence);
        assert.deepEqual(
          sequences,
          Array.from({ length: DAYS - 1 }, (_, i) => i + 1),
        );
      }
      const mailed = new Map<string, number>();
      for (const file of readdirSync(path.join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'))) {
        const text = readFileSync(path.join(dataDir, 'outbox', file), 'utf8');
        const match = /filename="?([^";\r\n]+)/.exec(text);
        if (match) mailed.set(match[1]!, (mailed.get(match[1]!) ?? 0) + 1);
      }
      for (const p of publications)
        assert.equal(mailed.get(p.archive_name), 2, `${p.archive_name} mailed twice`);

      for (const p of processes) p.child.kill('SIGTERM');
      await until('every process stopped', 60_000, () => Promise.resolve(processes.every((p) => p.exited())));
      for (const p of processes) assert.equal(p.child.exitCode, 0, `${p.name}:\n${p.output()}`);
    });
  },
);
