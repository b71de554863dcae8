import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The local account the SFTP and FTP test servers authenticate (created on first use; tests run as root). */
export const TEST_USER = 'pwdelivery';
export const TEST_PASSWORD = 'Pw-Delivery-Test-2026';

/** Installs a Debian package when its binary is missing (a fresh CI machine), updating the index if needed. */
export function ensurePackage(binary: string, pkg: string): void {
  if (existsSync(binary)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, stdio: 'pipe' });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: 'pipe' });
    const second = install();
    if (second.status !== 0) throw new Error(`cannot install ${pkg}: ${second.stderr.toString()}`);
  }
  if (!existsSync(binary)) throw new Error(`${pkg} installed but ${binary} is missing`);
}

/** Creates the test user once (several test files may race: useradd's lock makes losers retry). */
export function ensureTestUser(): { uid: number; gid: number } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const exists = spawnSync('id', ['-u', TEST_USER], { stdio: 'pipe' }).status === 0;
    if (!exists) spawnSync('useradd', ['-m', '-s', '/bin/bash', TEST_USER], { stdio: 'pipe' });
    if (spawnSync('id', ['-u', TEST_USER], { stdio: 'pipe' }).status === 0) {
      const chpasswd = spawnSync('chpasswd', [], { input: `${TEST_USER}:${TEST_PASSWORD}\n`, stdio: 'pipe' });
      if (chpasswd.status === 0) {
        const uid = Number(execFileSync('id', ['-u', TEST_USER]).toString().trim());
        const gid = Number(execFileSync('id', ['-g', TEST_USER]).toString().trim());
        return { uid, gid };
      }
    }
    spawnSync('sleep', ['0.2']);
  }
  throw new Error(`cannot create the test user ${TEST_USER}`);
}

/** A fresh directory the test user can write to (world-traversable parents, owned by the user). */
export function userWritableDir(owner: { uid: number; gid: number }, prefix = 'publiwatt-remote-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o755);
  return dir;
}

/** A directory owned by root that the test user can read but not write. */
export function readOnlyDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-readonly-'));
  chmodSync(dir, 0o755);
  return dir;
}

export function serverDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Waits until something accepts connections on the port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await sleep(50);
  }
}

/**
 * A server process that tests can stop and start again on the same port (server down, then up):
 * `start` waits until the port accepts connections and reports the daemon's stderr if it does not.
 */
export function daemon(
  name: string,
  command: string,
  args: readonly string[],
  port: number,
): { start(): Promise<void>; stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  return {
    async start() {
      child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      try {
        await waitForPort(port);
      } catch (error) {
        throw new Error(`${name} did not start: ${stderr}`, { cause: error });
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
  };
}
