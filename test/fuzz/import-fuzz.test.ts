import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { describeEachEngine } from '../support/databases.js';
import { buildImportCorpus, type ImportCorpus } from '../support/fuzz-corpus.js';
import { makeCase } from '../support/fuzz-mutations.js';
import { judge, measurementDigest, type StoreDigest, type Verdict } from '../support/fuzz-oracle.js';
import { FuzzReport, type CaseRecord } from '../support/fuzz-report.js';
import {
  closeSqliteConnectionsInTransaction,
  InProcessCli,
  postByInjection,
  postOverHttp,
  type ImportRequest,
  type RawOutcome,
  type TargetName,
  trackSqliteConnections,
} from '../support/fuzz-targets.js';
import { seedOperator, startTestServer, type TestServer } from '../support/web.js';

/*
 * Fuzzing of the measurement import (docs/measurements.md, "Fuzz suite"): files Publiwatt published,
 * mutated by a seeded generator, posted to the API and given to the CLI; each answer must be a whole
 * import or a refusal naming the place that changed nothing.
 */
/** Fixed by default, so that `npm test` is repeatable; a longer run draws other seeds (docs). */
const SEED =
  process.env.PUBLIWATT_FUZZ_SEED === 'random'
    ? randomInt(1, 2 ** 31)
    : Number(process.env.PUBLIWATT_FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.PUBLIWATT_FUZZ_CASES ?? 300);
/** Replays only these case numbers (a failure's `replay:` line). */
const ONLY = process.env.PUBLIWATT_FUZZ_ONLY?.split(',').map(Number);
/** An import of these small files takes milliseconds: one that has not answered after this hangs. */
const ANSWER_LIMIT_MS = 15_000;
/** After an uncaught exception, how long an import may still take to answer. */
const CRASH_GRACE_MS = 1_000;
const RSS_LIMIT_MB = 512;
/** Prints every case and its answers (`PUBLIWATT_FUZZ_VERBOSE=1`). */
const VERBOSE = process.env.PUBLIWATT_FUZZ_VERBOSE === '1';
/** Every n-th case goes over a real socket instead of Fastify's injection. */
const HTTP_EVERY = 10;
/** Cases also run in a real CLI process (~5 s each on this machine: tsx compiles the CLI first). */
const PROCESS_SAMPLE = 3;

assert.ok(Number.isSafeInteger(SEED) && SEED > 0, 'PUBLIWATT_FUZZ_SEED must be a positive integer');
assert.ok(Number.isSafeInteger(CASES) && CASES > 0, 'PUBLIWATT_FUZZ_CASES must be a positive integer');

/**
 * Uncaught exceptions and unhandled rejections are recorded against the running case instead of
 * ending the run (the test runner's own listeners are set aside while the cases run, then restored).
 */
class CrashWatch {
  readonly events: Array<{ number: number; what: string }> = [];
  current = -1;
  private crashed: (() => void) | undefined;
  private readonly saved = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  private readonly onException = (error: unknown) => this.record('uncaught exception', error);
  private readonly onRejection = (error: unknown) => this.record('unhandled rejection', error);

  constructor() {
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  /** Errors the harness causes itself (ending a hung import's PostgreSQL session), not the import. */
  private readonly expected: RegExp[] = [];

  expect(pattern: RegExp): void {
    this.expected.push(pattern);
  }

  private record(kind: string, error: unknown): void {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (this.expected.some((pattern) => pattern.test(text))) return;
    this.events.push({ number: this.current, what: `${kind}: ${text.slice(0, 300)}` });
    this.crashed?.();
  }

  private readonly timers = new Set<NodeJS.Timeout>();

  /** Resolves when an answer should have come: after the limit, or soon after a crash. */
  deadline(): Promise<void> {
    return new Promise((resolve) => {
      const limit = setTimeout(resolve, ANSWER_LIMIT_MS);
      this.timers.add(limit);
      this.crashed = () => {
        clearTimeout(limit);
        this.timers.add(setTimeout(resolve, CRASH_GRACE_MS));
      };
    });
  }

  /** Clears the deadlines of a case that is over. */
  settle(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.crashed = undefined;
  }

  restore(): void {
    this.settle();
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
    for (const listener of this.saved.uncaughtException) process.on('uncaughtException', listener);
    for (const listener of this.saved.unhandledRejection) process.on('unhandledRejection', listener);
  }
}

interface PlannedCase {
  number: number;
  kinds: string[];
  description: string;
  request: ImportRequest;
  mustReject?: string;
  control?: boolean;
}

describeEachEngine('measurement import fuzz', (ctx) => {
  let serverHandle: DatabaseHandle;
  let server: TestServer | undefined;
  let base: string;
  let token: string;
  let corpus: ImportCorpus;
  let cli: InProcessCli;

  /** The server runs on its own connection, so that a hung import cannot block the oracle's reads. */
  async function startServer(): Promise<TestServer> {
    serverHandle = openDatabase(ctx.handle.url);
    const clock = server?.clock.now();
    server = await startTestServer(serverHandle, clock?.toISOString());
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    return server;
  }

  before(async () => {
    trackSqliteConnections();
    const started = await startServer();
    token = await seedOperator(ctx.handle, 'fuzz@exploitation.fr');
    corpus = await buildImportCorpus(ctx.handle.db, started.publication, started.clock, SEED);
    cli = new InProcessCli(ctx.url);
  });
  after(async () => {
    await server?.app.close();
    await serverHandle.destroy();
    cli.close();
  });

  /**
   * A hung import keeps its transaction (and, on SQLite, the server's connection): the server is
   * replaced and PostgreSQL sessions left in a transaction are ended, so later cases run normally.
   */
  async function recoverFromHang(watch: CrashWatch): Promise<void> {
    const old = { server: server!, handle: serverHandle };
    if (ctx.engine === 'postgres') {
      // The ended sessions' clients report it as an error event of their own.
      watch.expect(/terminating connection due to administrator command|Connection terminated unexpectedly/);
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid()
                  and state like 'idle in transaction%'`.execute(ctx.handle.db);
    } else closeSqliteConnectionsInTransaction();
    void old.server.app.close().catch(() => undefined);
    void old.handle.destroy().catch(() => undefined);
    await startServer();
  }

  it(`imports a file whole or refuses it with its place, never anything else (seed ${SEED})`, async () => {
    const report = new FuzzReport(`import fuzz [${ctx.engine}]`, SEED);
    const watch = new CrashWatch();
    const started = performance.now();
    let peakRss = 0;
    let chargedRss = RSS_LIMIT_MB - 64;
    let lastDigest: StoreDigest | undefined;
    const prototypeNames = new Set(Object.getOwnPropertyNames(Object.prototype));
    const numbers = ONLY ?? Array.from({ length: CASES }, (_, i) => i);
    const processSample = new Set(
      numbers
        .filter((_, i) => i % Math.max(1, Math.floor(numbers.length / PROCESS_SAMPLE)) === 0)
        .slice(0, PROCESS_SAMPLE),
    );

    const runCase = async (planned: PlannedCase, options: { http: boolean; process: boolean }) => {
      watch.current = planned.number;
      const record: CaseRecord = {
        number: planned.number,
        kinds: planned.kinds,
        description: planned.description,
        mustReject: planned.mustReject,
        verdicts: {},
        ms: {},
        violations: [],
      };
      const judged = (raw: RawOutcome, fileName: string, before: StoreDigest, afterDigest: StoreDigest) =>
        judge(raw, {
          fileName,
          mustReject: planned.mustReject,
          control: planned.control,
          before,
          after: afterDigest,
        });
      const crashesBefore = watch.events.length;

      // Nothing writes between cases: the last digest of the previous case is this one's first.
      let before = lastDigest ?? (await measurementDigest(ctx.handle.db));
      server!.clock.advance(1000);
      const api = options.http
        ? await postOverHttp(base, token, planned.request, watch.deadline())
        : await postByInjection(server!, token, planned.request, watch.deadline());
      let afterDigest = await measurementDigest(ctx.handle.db);
      record.verdicts[api.target] = judged(api, planned.request.fileName, before, afterDigest);
      record.ms[api.target] = Math.round(api.ms);
      if (api.timedOut) {
        await recoverFromHang(watch);
        afterDigest = await measurementDigest(ctx.handle.db);
      }

      before = afterDigest;
      const label = `case-${planned.number}`;
      const command = await cli.run(planned.request, label, watch.deadline());
      afterDigest = await measurementDigest(ctx.handle.db);
      record.verdicts.cli = judged(command, command.file, before, afterDigest);
      record.ms.cli = Math.round(command.ms);
      if (command.timedOut) {
        await recoverFromHang(watch);
        afterDigest = await measurementDigest(ctx.handle.db);
      }

      if (options.process) {
        before = afterDigest;
        const child = await cli.runProcess(planned.request, label, watch.deadline());
        afterDigest = await measurementDigest(ctx.handle.db);
        record.verdicts['cli-process'] = judged(child, child.file, before, afterDigest);
        record.ms['cli-process'] = Math.round(child.ms);
      }
      lastDigest = afterDigest;
      cli.forget(label);
      watch.settle();

      // The API and the command must judge the same file the same way (crashes are charged already).
      const answers = (Object.entries(record.verdicts) as Array<[TargetName, Verdict]>).filter(
        ([, v]) => v.outcome !== 'broken' && v.code !== 'INTERNAL',
      );
      const [first, ...others] = answers;
      for (const [target, verdict] of others) {
        if (verdict.outcome !== first![1].outcome || verdict.code !== first![1].code)
          record.violations.push(
            `${first![0]} ${first![1].outcome} ${first![1].code ?? ''} but ${target} ${verdict.outcome} ${verdict.code ?? ''}`,
          );
      }
      for (const event of watch.events.slice(crashesBefore)) record.violations.push(event.what);
      const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
      // RSS rarely shrinks: a case is charged when it crosses the limit or grows 64 MB past the last charge.
      if (rss > RSS_LIMIT_MB && rss >= chargedRss + 64) {
        record.violations.push(`RSS ${rss} MB above ${RSS_LIMIT_MB} MB`);
        chargedRss = rss;
      }
      peakRss = Math.max(peakRss, rss);
      const polluted = Object.getOwnPropertyNames(Object.prototype).filter(
        (name) => !prototypeNames.has(name),
      );
      if (polluted.length > 0) {
        record.violations.push(`Object.prototype polluted: ${polluted.join(', ')}`);
        for (const key of polluted) delete (Object.prototype as Record<string, unknown>)[key];
      }
      report.add(record);
      if (VERBOSE) {
        const answers = Object.entries(record.verdicts).map(
          ([t, v]) => `${t} ${v.outcome} ${v.code ?? ''} ${v.answer ?? ''}`,
        );
        console.log(`case ${planned.number} ${planned.description}\n    ${answers.join('\n    ')}`);
      }
    };

    try {
      // Controls first, while the store holds exactly what was published: each must change nothing.
      if (!ONLY) {
        let n = 0;
        for (const entry of corpus.entries) {
          await runCase(
            {
              number: -++n,
              kinds: ['control'],
              description: `${entry.id}: as published`,
              request: { bytes: entry.bytes, fileName: entry.fileName, key: entry.key },
              control: true,
            },
            { http: n % 3 === 0, process: false },
          );
        }
      }
      for (const number of numbers) {
        const fuzzCase = await makeCase(SEED, number, corpus);
        await runCase(
          {
            number,
            kinds: fuzzCase.mutations.map((m) => m.kind),
            description: fuzzCase.description,
            request: { bytes: fuzzCase.bytes, fileName: fuzzCase.fileName, key: fuzzCase.key },
            mustReject: fuzzCase.mustReject,
          },
          { http: number % HTTP_EVERY === HTTP_EVERY - 1, process: processSample.has(number) },
        );
      }
    } finally {
      watch.restore();
    }
    const table = report.render((performance.now() - started) / 1000, peakRss);
    console.log(table);
    const violations = report.violations();
    assert.equal(
      violations.length,
      0,
      `${violations.length} oracle violation(s), seed ${SEED}:\n${violations
        .slice(0, 40)
        .map((v) => `case ${v.number} [${v.target}] ${v.description}\n  → ${v.violation}`)
        .join('\n')}`,
    );
  });
});
