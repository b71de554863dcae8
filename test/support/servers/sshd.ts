import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  daemon,
  ensureDir,
  ensurePackage,
  ensureTestUser,
  freePort,
  serverDir,
  TEST_PASSWORD,
  TEST_USER,
} from './system.js';

const SSHD = '/usr/sbin/sshd';

export interface SshdServer {
  port: number;
  user: string;
  password: string;
  /** OpenSSH private key (PEM text) whose public half is authorised for the user. */
  privateKey: string;
  /** `SHA256:…` of the host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  uid: number;
  gid: number;
  stop(): Promise<void>;
  /** Starts again on the same port with the same keys (server down, then up). */
  restart(): Promise<void>;
}

/**
 * A real OpenSSH sshd on a loopback high port, with a generated host key, password and key
 * authentication for the test user, and the internal SFTP server. `hostKeyFrom` reuses another
 * server's directory keys; a fresh call generates a fresh host key (a "changed" server).
 */
export async function startSshd(options: { port?: number } = {}): Promise<SshdServer> {
  ensurePackage(SSHD, 'openssh-server');
  const { uid, gid } = ensureTestUser();
  ensureDir('/run/sshd');
  const dir = serverDir('publiwatt-sshd-');
  const hostKey = path.join(dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const userKey = path.join(dir, 'user_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', userKey]);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${userKey}.pub`));
  chmodSync(authorizedKeys, 0o644);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`])
    .toString()
    .split(' ')[1]!;
  const port = options.port ?? (await freePort());
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'PermitRootLogin no',
      `AllowUsers ${TEST_USER}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 100',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const server = daemon('sshd', SSHD, ['-D', '-e', '-f', config], port);
  const launch = () => server.start();
  const stop = () => server.stop();
  await launch();
  return {
    port,
    user: TEST_USER,
    password: TEST_PASSWORD,
    privateKey: readFileSync(userKey, 'utf8'),
    hostKeyFingerprint: fingerprint,
    uid,
    gid,
    stop,
    restart: launch,
  };
}
