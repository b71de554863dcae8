#!/usr/bin/env node
// Chaos check: publication and delivery through killed workers and lost database connections.
// Usage: node scripts/chaos.mjs [--admin-url postgres://…/postgres] [--kills 3] [--terminations 3]
//        [--restart-command "…"] [--chaos-seconds 40] [--timeout 1200] [--keep]
// See docs/operations.md ("Chaos check").
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');

const { values: options } = parseArgs({
  options: {
    'admin-url': {
      type: 'string',
      default: process.env.PUBLIWATT_CHAOS_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
    kills: { type: 'string', default: '3' },
    terminations: { type: 'string', default: '3' },
    'restart-command': { type: 'string' },
    'chaos-seconds': { type: 'string', default: '40' },
    timeout: { type: 'string', default: '1200' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  process.stdout.write(
    'node scripts/chaos.mjs [--admin-url URL] [--kills N] [--terminations N] [--restart-command CMD]\n' +
      '                       [--chaos-seconds S] [--timeout S] [--keep]\n',
  );
  process.exit(0);
}
const kills = Number(options.kills);
const terminations = Number(options.terminations);
const chaosMs = Number(options['chaos-seconds']) * 1000;
const timeoutMs = Number(options.timeout) * 1000;

const started = Date.now();
const log = (message) =>
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

/** The CLI from source through tsx in a checkout, else the installed build. */
function cliCommand() {
  const require = createRequire(import.meta.url);
  if (existsSync(path.join(ROOT, 'src/cli/main.ts'))) {
    try {
      require.resolve('tsx');
      const code =
        "const m = await import('./src/cli/main.ts'); process.exitCode = await m.main(process.argv);";
      return [process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'publiwatt']];
    } catch {
      // no tsx: use the build
    }
  }
  return [process.execPath, [path.join(ROOT, 'bin/publiwatt.js')]];
}
const [node, cliArgs] = cliCommand();

const name = `publiwatt_chaos_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const databaseUrl = new URL(options['admin-url']);
databaseUrl.pathname = `/${name}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-chaos-'));
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PUBLIWATT_'))),
  PUBLIWATT_DATABASE_URL: databaseUrl.toString(),
  PUBLIWATT_DATA_DIR: dataDir,
  PUBLIWATT_MASTER_KEY: randomBytes(32).toString('hex'),
  PUBLIWATT_LOG_LEVEL: 'warn',
};

function runCli(args) {
  const result = spawnSync(node, [...cliArgs, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`publiwatt ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** A long-running CLI process, its output appended to `<data dir>/<label>.log`. */
function startProcess(label, args) {
  const child = spawn(node, [...cliArgs, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(path.join(dataDir, `${label}.log`), { flags: 'a' });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const entry = { label, child, killedByUs: false, exited: false, crashed: false };
  child.once('exit', (code, signal) => {
    entry.exited = true;
    if (!entry.killedByUs) {
      entry.crashed = true;
      log(`${label} (pid ${child.pid}) exited by itself: code ${code}, signal ${signal}`);
    }
  });
  return entry;
}

// A pool, not a client: a server restart (--restart-command) ends its connection too.
const admin = new pg.Pool({ connectionString: options['admin-url'], max: 1 });
admin.on('error', () => undefined);
admin.on('connect', (client) => client.on('error', () => undefined));
await admin.query(`create database ${name}`);
log(`database ${name}, data directory ${dataDir}`);
const db = new pg.Pool({ connectionString: databaseUrl.toString(), max: 2 });
// The chaos also ends this script's own connections: the pool opens new ones.
db.on('error', () => undefined);
db.on('connect', (client) => client.on('error', () => undefined));
const query = async (text, params) => {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await db.query(text, params)).rows;
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(500);
    }
  }
};

let exitCode = 1;
const processes = [];
try {
  runCli(['migrate']);
  log('seeding the demo registry, measurements, subscriptions and e-mail channel (seed-demo)');
  runCli(['seed-demo']);

  const port = 20000 + Math.floor(Math.random() * 20000);
  const serve = startProcess('serve', [
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--job-interval',
    '2',
  ]);
  processes.push(serve);
  const workers = [1, 2].map((i) => startProcess(`worker-${i}`, ['worker', '--interval', '2']));
  processes.push(...workers);
  log(`serve (pid ${serve.child.pid}, port ${port}) and 2 workers (pids ${workers.map((w) => w.child.pid)})`);

  const counts = async () => {
    const [row] = await query(
      `select (select count(*) from publication_run where status not in ('done', 'empty'))::int as runs_open,
              (select count(*) from publication_run)::int as runs,
              (select count(*) from publication)::int as publications,
              (select count(*) from delivery where status <> 'delivered')::int as deliveries_open,
              (select count(*) from delivery)::int as deliveries`,
    );
    return row;
  };

  // Chaos while the backlog is published: worker kills and connection cuts at random moments.
  const chaosStart = Date.now();
  while ((await counts()).runs === 0 && Date.now() - chaosStart < 120_000) await sleep(200);
  const events = [
    ...Array.from({ length: kills }, () => 'kill'),
    ...Array.from({ length: terminations }, () => 'terminate'),
    ...(options['restart-command'] ? ['restart'] : []),
  ].map((kind) => ({ kind, at: Date.now() + Math.random() * chaosMs }));
  events.sort((a, b) => a.at - b.at);
  for (const event of events) {
    await sleep(Math.max(0, event.at - Date.now()));
    if (event.kind === 'kill') {
      const index = Math.floor(Math.random() * workers.length);
      const victim = workers[index];
      victim.killedByUs = true;
      victim.child.kill('SIGKILL');
      log(`SIGKILL ${victim.label} (pid ${victim.child.pid}); ${JSON.stringify(await counts())}`);
      await sleep(1000);
      workers[index] = startProcess(victim.label, ['worker', '--interval', '2']);
      processes.push(workers[index]);
      log(`restarted ${victim.label} (pid ${workers[index].child.pid})`);
    } else if (event.kind === 'terminate') {
      let terminated = 0;
      for (let i = 0; i < 3; i++) {
        const rows = await admin
          .query(
            'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [name],
          )
          .then(
            (r) => r.rows,
            () => [{ n: 0 }],
          );
        terminated += rows[0].n;
        await sleep(300);
      }
      log(`terminated ${terminated} database connections (3 bursts)`);
    } else {
      log(`running the restart command: ${options['restart-command']}`);
      const result = spawnSync(options['restart-command'], { shell: true, stdio: 'inherit' });
      log(`restart command exited ${result.status}`);
    }
  }

  // Everything due done: no open run or delivery for a few consecutive looks (new runs may appear).
  log('chaos over; waiting until every run and delivery is done');
  let quiet = 0;
  let last = '';
  while (quiet < 3) {
    if (Date.now() - started > timeoutMs) throw new Error(`not done within ${options.timeout} s: ${last}`);
    await sleep(2000);
    const now = await counts();
    const state = JSON.stringify(now);
    if (state !== last) log(state);
    last = state;
    quiet = now.runs_open === 0 && now.deliveries_open === 0 && now.runs > 0 ? quiet + 1 : 0;
  }

  const health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
    (r) => r.status,
    () => 'no answer',
  );
  const [{ lost }] = await query(
    `select count(*)::int as lost from publication_run r
      where r.status = 'done' and not exists (select 1 from publication p where p.run_id = r.id)
         or r.status not in ('done', 'empty')`,
  );
  const [{ duplicates }] = await query(
    `select coalesce(sum(n - 1), 0)::int as duplicates from (
       select count(*) as n from publication group by run_id having count(*) > 1
       union all
       select count(*) from publication_run group by subscription_id, window_start, rebuild having count(*) > 1
     ) d`,
  );
  const sequences = await query(
    `select subscription_id, array_agg(num_sequence order by num_sequence) as seq
       from publication group by subscription_id`,
  );
  let gaps = 0;
  for (const { seq } of sequences) seq.forEach((n, i) => (gaps += n === i + 1 ? 0 : 1));
  const [{ never }] = await query(`select count(*)::int as never from delivery where status <> 'delivered'`);
  // E-mails of deliveries in the outbox, by publication (the body links to /flux/<id>).
  const addresses = new Set(
    (await query(`select email from channel where kind = 'email' and email is not null`)).map((r) => r.email),
  );
  const expected = new Map(
    (
      await query(
        `select d.publication_id as id, count(*)::int as n from delivery d join channel c on c.id = d.channel_id
          where c.kind = 'email' and d.status = 'delivered' group by d.publication_id`,
      )
    ).map((r) => [r.id, r.n]),
  );
  const mailed = new Map();
  const outbox = path.join(dataDir, 'outbox');
  for (const file of existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')) : []) {
    const text = readFileSync(path.join(outbox, file), 'utf8').replace(/=\r?\n/g, '');
    const to = /^To: (.+)$/m.exec(text)?.[1]?.trim();
    const id = /\/flux\/(\d+)/.exec(text)?.[1];
    if (to && addresses.has(to) && id) mailed.set(Number(id), (mailed.get(Number(id)) ?? 0) + 1);
  }
  let twice = 0;
  let notMailed = 0;
  for (const [id, n] of expected) {
    const sent = mailed.get(id) ?? 0;
    if (sent > n) twice += sent - n;
    if (sent < n) notMailed += n - sent;
  }
  const crashed = processes.filter((p) => p.crashed).map((p) => p.label);
  const final = await counts();
  const report = {
    runs: final.runs,
    publications: final.publications,
    deliveries: final.deliveries,
    lostPublications: lost,
    duplicatePublications: duplicates,
    numSequenceGaps: gaps,
    deliveriesNeverDelivered: never + notMailed,
    deliveriesDeliveredTwice: twice,
    processesExitedByThemselves: crashed.length,
    healthz: health,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const clean = lost + duplicates + gaps + never + notMailed + twice + crashed.length === 0 && health === 200;
  log(clean ? 'chaos check passed' : `chaos check FAILED (logs in ${dataDir})`);
  exitCode = clean ? 0 : 1;
} catch (error) {
  log(`chaos check FAILED: ${error instanceof Error ? error.message : String(error)} (logs in ${dataDir})`);
} finally {
  for (const p of processes) {
    if (!p.exited) {
      p.killedByUs = true;
      p.child.kill('SIGTERM');
    }
  }
  const deadline = Date.now() + 30_000;
  while (processes.some((p) => !p.exited) && Date.now() < deadline) await sleep(200);
  for (const p of processes) if (!p.exited) p.child.kill('SIGKILL');
  await db.end().catch(() => undefined);
  if (!options.keep) {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    if (exitCode === 0) rmSync(dataDir, { recursive: true, force: true });
  }
  await admin.end();
}
process.exit(exitCode);
