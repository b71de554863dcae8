import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { cliEnv, startCli } from '../support/cli.js';

/** Whether `/healthz` answers at this address within the time given (or until `gone()`). */
async function answers(host: string, port: number, waitMs: number, gone = () => false): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  do {
    if (gone()) return false;
    try {
      if ((await fetch(`http://${host}:${port}/healthz`)).ok) return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  } while (Date.now() < deadline);
  return false;
}

/**
 * Starts `serve` with these arguments and reports where it answers: on the loopback address, and on
 * another address of the loopback network (127.0.0.2), reached only by a server listening on every
 * interface, like the machine's other addresses.
 */
async function whereServeListens(
  args: string[],
): Promise<{ loopback: boolean; other: boolean; stdout: string }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = startCli(['serve', ...args, '--port', String(port)], cliEnv());
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let ended = false;
  void exited.then(() => (ended = true));
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const loopback = await answers('127.0.0.1', port, 90_000, () => ended);
    assert.ok(loopback, `serve ${args.join(' ')} never answered: ${stderr}`);
    return { loopback, other: await answers('127.0.0.2', port, 0), stdout };
  } finally {
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
  }
}

describe('serve listen address', () => {
  it('serve --demo listens on the loopback address only, and says so', async () => {
    const demo = await whereServeListens(['--demo']);
    assert.equal(demo.other, false, 'the demo and its printed passwords are not reachable from the network');
    assert.match(demo.stdout, /Publiwatt démo : http:\/\/127\.0\.0\.1:\d+/);
  });

  it('serve listens on every interface by default (containers), or where --host says', async () => {
    const [plain, chosen] = await Promise.all([
      whereServeListens([]),
      whereServeListens(['--host', '127.0.0.1']),
    ]);
    assert.equal(plain.other, true, 'plain serve answers on every address');
    assert.equal(chosen.other, false, '--host 127.0.0.1 answers on the loopback address only');
  });
});
