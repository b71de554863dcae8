import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRY = path.join(ROOT, 'test/support/cli-entry.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a CLI child: its own data dir and a fixed master key, plus the given variables. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('PUBLIWATT_')) env[key] = value;
  }
  return {
    ...env,
    PUBLIWATT_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'publiwatt-cli-')),
    PUBLIWATT_MASTER_KEY: '11'.repeat(32),
    PUBLIWATT_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * The command from source through tsx; from dist/ when the test runner has just built it from this
 * source (`PUBLIWATT_TEST_CLI=dist`, a full `npm test`), which starts a second sooner.
 */
export function startCli(args: string[], env: Record<string, string>): ChildProcess {
  const entry =
    process.env.PUBLIWATT_TEST_CLI === 'dist'
      ? [path.join(ROOT, 'bin/publiwatt.js')]
      : ['--import', 'tsx', ENTRY];
  return spawn(process.execPath, [...entry, ...args], { cwd: ROOT, env, stdio: 'pipe' });
}

/** Runs the CLI to its end; `input`, when given, is written to its standard input. */
export function runCli(
  args: string[],
  env: Record<string, string> = cliEnv(),
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}
