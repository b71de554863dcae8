import SqliteDatabase from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { cliEnv, startCli } from './cli.js';
import type { TestServer } from './web.js';

/** How a file was handed to the import. */
export type TargetName = 'api' | 'api-http' | 'cli' | 'cli-process';

/** What one import answered, before judging it. */
export interface RawOutcome {
  target: TargetName;
  /** HTTP status (API) or exit code (CLI); undefined when it never answered. */
  status?: number;
  body?: string;
  contentType?: string;
  stdout?: string;
  stderr?: string;
  /** No answer within the case's time limit. */
  timedOut?: boolean;
  /** The call itself threw (a CLI `main` must return a code, never throw). */
  thrown?: string;
  ms: number;
}

export interface ImportRequest {
  bytes: Buffer;
  fileName: string;
  key?: Buffer;
}

/** Resolves to the promise's value, or to `timeout` once `giveUp` resolved first. */
export function within<T>(promise: Promise<T>, giveUp: Promise<void>, timeout: T): Promise<T> {
  return Promise.race([promise, giveUp.then(() => timeout)]);
}

/** `POST /api/v1/measurements` through Fastify's injection (no socket). */
export async function postByInjection(
  server: TestServer,
  token: string,
  request: ImportRequest,
  giveUp: Promise<void>,
): Promise<RawOutcome> {
  const started = performance.now();
  const answer = server.app
    .inject({
      method: 'POST',
      url: `/api/v1/measurements?fileName=${encodeURIComponent(request.fileName)}`,
      payload: request.bytes,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        ...(request.key ? { 'x-encryption-key': request.key.toString('hex') } : {}),
      },
    })
    .then(
      (response): RawOutcome => ({
        target: 'api',
        status: response.statusCode,
        body: response.body,
        contentType: String(response.headers['content-type'] ?? ''),
        ms: 0,
      }),
      (error: unknown): RawOutcome => ({ target: 'api', thrown: String(error), ms: 0 }),
    );
  const outcome = await within(answer, giveUp, { target: 'api', timedOut: true, ms: 0 });
  return { ...outcome, ms: performance.now() - started };
}

/** The same request over a real socket (`app.listen` on loopback) with `fetch`. */
export async function postOverHttp(
  base: string,
  token: string,
  request: ImportRequest,
  giveUp: Promise<void>,
): Promise<RawOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  void giveUp.then(() => controller.abort());
  try {
    const response = await fetch(
      `${base}/api/v1/measurements?fileName=${encodeURIComponent(request.fileName)}`,
      {
        method: 'POST',
        body: request.bytes,
        signal: controller.signal,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          ...(request.key ? { 'x-encryption-key': request.key.toString('hex') } : {}),
        },
      },
    );
    return {
      target: 'api-http',
      status: response.status,
      body: await response.text(),
      contentType: response.headers.get('content-type') ?? '',
      ms: performance.now() - started,
    };
  } catch (error) {
    if (controller.signal.aborted)
      return { target: 'api-http', timedOut: true, ms: performance.now() - started };
    return { target: 'api-http', thrown: String(error), ms: performance.now() - started };
  }
}

/**
 * The `publiwatt import` command run in this process through the CLI's own `main` (a process per case
 * would cost ~1.5 s): the environment it reads is set for the call and its output captured.
 */
export class InProcessCli {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-fuzz-cli-'));
  private readonly env: Record<string, string>;

  constructor(databaseUrl: string) {
    mkdirSync(path.join(this.dir, 'data'));
    this.env = {
      PUBLIWATT_DATABASE_URL: databaseUrl,
      PUBLIWATT_DATA_DIR: path.join(this.dir, 'data'),
      PUBLIWATT_MASTER_KEY: '11'.repeat(32),
      PUBLIWATT_LOG_LEVEL: 'warn',
    };
  }

  /** Writes the case's file under its own name (the CLI names it in its messages). */
  fileFor(request: ImportRequest, label: string): string {
    const caseDir = path.join(this.dir, label);
    mkdirSync(caseDir, { recursive: true });
    const file = path.join(caseDir, path.basename(request.fileName));
    writeFileSync(file, request.bytes);
    return file;
  }

  argv(file: string, key: Buffer | undefined): string[] {
    return ['import', file, ...(key ? ['--key', key.toString('hex')] : [])];
  }

  async run(
    request: ImportRequest,
    label: string,
    giveUp: Promise<void>,
  ): Promise<RawOutcome & { file: string }> {
    const file = this.fileFor(request, label);
    const saved = new Map<string, string | undefined>();
    for (const [name, value] of Object.entries(this.env)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
    let stdout = '';
    let stderr = '';
    const writeOut = process.stdout.write;
    const writeErr = process.stderr.write;
    // Only what the command writes while it runs is captured; the test runner writes nothing meanwhile.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stderr.write;
    const started = performance.now();
    let outcome: RawOutcome;
    try {
      const code = main(['node', 'publiwatt', ...this.argv(file, request.key)]).then(
        (status): RawOutcome => ({ target: 'cli', status, ms: 0 }),
        (error: unknown): RawOutcome => ({
          target: 'cli',
          thrown: error instanceof Error ? (error.stack ?? error.message) : String(error),
          ms: 0,
        }),
      );
      outcome = await within(code, giveUp, { target: 'cli', timedOut: true, ms: 0 });
    } finally {
      process.stdout.write = writeOut;
      process.stderr.write = writeErr;
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    return { ...outcome, stdout, stderr, ms: performance.now() - started, file };
  }

  /** The same command in a real `publiwatt` process (started as the CLI tests start it). */
  async runProcess(
    request: ImportRequest,
    label: string,
    giveUp: Promise<void>,
  ): Promise<RawOutcome & { file: string }> {
    const file = this.fileFor(request, `${label}-process`);
    const started = performance.now();
    const child = startCli(this.argv(file, request.key), cliEnv(this.env));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<RawOutcome>((resolve) => {
      child.on('error', (error) => resolve({ target: 'cli-process', thrown: String(error), ms: 0 }));
      child.on('close', (code, signal) =>
        resolve({ target: 'cli-process', status: code ?? undefined, thrown: signal ?? undefined, ms: 0 }),
      );
    });
    const outcome = await within(exit, giveUp, { target: 'cli-process', timedOut: true, ms: 0 });
    if (outcome.timedOut) child.kill('SIGKILL');
    return { ...outcome, stdout, stderr, file, ms: performance.now() - started };
  }

  /** Removes a case's files once it is judged. */
  forget(label: string): void {
    rmSync(path.join(this.dir, label), { recursive: true, force: true });
    rmSync(path.join(this.dir, `${label}-process`), { recursive: true, force: true });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const sqliteConnections = new Set<WeakRef<SqliteDatabase.Database>>();
let tracking = false;

/**
 * Remembers every SQLite connection this process opens from now on (the product's `openDatabase`
 * sets its pragmas right after opening), so that one a hung import left inside a transaction can be
 * closed: SQLite then rolls the transaction back and frees the database for the next cases.
 */
export function trackSqliteConnections(): void {
  if (tracking) return;
  tracking = true;
  const prototype = SqliteDatabase.prototype as unknown as { pragma: (...args: unknown[]) => unknown };
  const pragma = prototype.pragma;
  prototype.pragma = function (this: SqliteDatabase.Database, ...args: unknown[]) {
    sqliteConnections.add(new WeakRef(this));
    return pragma.apply(this, args);
  };
}

/** Closes the tracked SQLite connections still inside a transaction; returns how many. */
export function closeSqliteConnectionsInTransaction(): number {
  let closed = 0;
  for (const ref of sqliteConnections) {
    const connection = ref.deref();
    if (!connection || !connection.open) {
      sqliteConnections.delete(ref);
      continue;
    }
    if (connection.inTransaction) {
      connection.close();
      sqliteConnections.delete(ref);
      closed++;
    }
  }
  return closed;
}
