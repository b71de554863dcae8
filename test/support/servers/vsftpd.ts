import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
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

const VSFTPD = '/usr/sbin/vsftpd';

export interface FtpServer {
  port: number;
  user: string;
  password: string;
  uid: number;
  gid: number;
  tls: boolean;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** Finds `count` consecutive free ports for the passive range (random base, retried). */
async function freeRange(count: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    const servers: Server[] = [];
    let ok = true;
    for (let port = base; port < base + count && ok; port++) {
      ok = await new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => {
          servers.push(server);
          resolve(true);
        });
      });
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return [base, base + count - 1];
  }
  throw new Error('no free passive port range');
}

/**
 * A real vsftpd on a loopback high port for the test user: plain FTP, or explicit FTPS (`tls`) with a
 * generated self-signed certificate (TLS required for login and data).
 */
export async function startVsftpd(options: { tls: boolean }): Promise<FtpServer> {
  ensurePackage(VSFTPD, 'vsftpd');
  const { uid, gid } = ensureTestUser();
  ensureDir('/var/run/vsftpd/empty');
  const dir = serverDir('publiwatt-vsftpd-');
  const port = await freePort();
  const [pasvMin, pasvMax] = await freeRange(10);
  const lines = [
    'listen=YES',
    'listen_ipv6=NO',
    'listen_address=127.0.0.1',
    `listen_port=${port}`,
    'background=NO',
    'anonymous_enable=NO',
    'local_enable=YES',
    'write_enable=YES',
    'local_umask=022',
    'chroot_local_user=NO',
    'pasv_enable=YES',
    'pasv_address=127.0.0.1',
    `pasv_min_port=${pasvMin}`,
    `pasv_max_port=${pasvMax}`,
    'seccomp_sandbox=NO',
    'isolate=NO',
    'isolate_network=NO',
    'secure_chroot_dir=/var/run/vsftpd/empty',
    'pam_service_name=vsftpd',
    `userlist_enable=NO`,
    'xferlog_enable=NO',
    'max_per_ip=50',
  ];
  if (options.tls) {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'pipe' },
    );
    lines.push(
      'ssl_enable=YES',
      `rsa_cert_file=${cert}`,
      `rsa_private_key_file=${key}`,
      'allow_anon_ssl=NO',
      'force_local_logins_ssl=YES',
      'force_local_data_ssl=YES',
      'ssl_tlsv1=NO',
      'ssl_sslv2=NO',
      'ssl_sslv3=NO',
      'require_ssl_reuse=NO',
      'ssl_ciphers=HIGH',
    );
  }
  const config = path.join(dir, 'vsftpd.conf');
  writeFileSync(config, lines.join('\n') + '\n');
  const server = daemon('vsftpd', VSFTPD, [config], port);
  const launch = () => server.start();
  const stop = () => server.stop();
  await launch();
  return {
    port,
    user: TEST_USER,
    password: TEST_PASSWORD,
    uid,
    gid,
    tls: options.tls,
    stop,
    restart: launch,
  };
}
