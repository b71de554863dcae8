import { systemClock } from '../../src/clock.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { OutboundPolicy } from '../../src/delivery/outbound-policy.js';
import { FtpTransport } from '../../src/delivery/transports/ftp.transport.js';
import { SftpTransport } from '../../src/delivery/transports/sftp.transport.js';
import { SmtpTransport } from '../../src/delivery/transports/smtp.transport.js';
import type { ChannelTarget, DeliveryFile } from '../../src/delivery/transports/delivery-transport.js';
import type { AppError } from '../../src/domain/app-error.js';
import { createMailer } from '../../src/notification/mailer.js';
import { LOOPBACK_ALLOW } from '../support/delivery-fixtures.js';
import { startSmtp, type SmtpSink } from '../support/servers/smtp.js';
import { startSshd, type SshdServer } from '../support/servers/sshd.js';
import { readOnlyDir, userWritableDir } from '../support/servers/system.js';
import { startVsftpd, type FtpServer } from '../support/servers/vsftpd.js';

const CONTENT = Buffer.from('encrypted bytes '.repeat(4096));
/** The test servers listen on loopback, which customer channels may not reach unless allowed. */
const policy = new OutboundPolicy({ allow: LOOPBACK_ALLOW });

function fileOf(content: Buffer, fileName = 'ENEDIS_R63_TEST.zip'): DeliveryFile {
  return {
    fileName,
    size: content.length,
    stream: () => Readable.from([content.subarray(0, 1000), content.subarray(1000)]),
    archiveUrl: 'http://localhost:3000/flux/1',
    keyVersion: 1,
  };
}

/** A stream that yields some bytes then breaks, like a lost archive disk or a killed source. */
function brokenFile(fileName = 'ENEDIS_R63_BROKEN.zip'): DeliveryFile {
  return {
    fileName,
    size: 100_000,
    stream: () =>
      new Readable({
        read() {
          this.push(Buffer.alloc(32_768, 1));
          this.destroy(new Error('source interrupted'));
        },
      }),
    archiveUrl: 'http://localhost:3000/flux/2',
    keyVersion: 1,
  };
}

function channel(overrides: Partial<ChannelTarget>): ChannelTarget {
  return {
    id: 1,
    entrepriseId: 1,
    kind: 'sftp',
    label: 'test',
    email: null,
    host: '127.0.0.1',
    port: null,
    username: null,
    remoteDir: null,
    authKind: 'password',
    secret: null,
    hostKeyFingerprint: null,
    allowSelfSigned: false,
    ...overrides,
  };
}

function visible(dir: string): string[] {
  return readdirSync(dir).filter((name) => !name.startsWith('.'));
}

describe('SFTP transport against OpenSSH sshd', () => {
  let sshd: SshdServer;
  const transport = new SftpTransport({ timeoutMs: 8000, policy });
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd.stop();
  });
  const sftp = (overrides: Partial<ChannelTarget> = {}) =>
    channel({
      kind: 'sftp',
      port: sshd.port,
      username: sshd.user,
      secret: sshd.password,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
      ...overrides,
    });

  it('tests a channel step by step and reports the host key to pin', async () => {
    const remote = userWritableDir(sshd);
    const report = await transport.test(sftp({ remoteDir: remote, hostKeyFingerprint: null }));
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok]),
      [
        ['connect', true],
        ['write', true],
        ['rename', true],
        ['delete', true],
      ],
    );
    assert.equal(report.hostKeyFingerprint, sshd.hostKeyFingerprint);
    assert.deepEqual(readdirSync(remote), [], 'the test leaves nothing behind');
  });

  it('delivers with a password: temporary name, rename, exact bytes', async () => {
    const remote = userWritableDir(sshd);
    const receipt = await transport.deliver(fileOf(CONTENT), sftp({ remoteDir: remote }));
    assert.equal(receipt.location, path.join(remote, 'ENEDIS_R63_TEST.zip'));
    assert.deepEqual(readdirSync(remote), ['ENEDIS_R63_TEST.zip']);
    assert.ok(readFileSync(path.join(remote, 'ENEDIS_R63_TEST.zip')).equals(CONTENT));
  });

  it('delivers with a private key, replacing a file of the same name', async () => {
    const remote = userWritableDir(sshd);
    const target = sftp({ remoteDir: remote, authKind: 'key', secret: sshd.privateKey });
    await transport.deliver(fileOf(Buffer.from('old')), target);
    await transport.deliver(fileOf(CONTENT), target);
    assert.deepEqual(readdirSync(remote), ['ENEDIS_R63_TEST.zip']);
    assert.ok(readFileSync(path.join(remote, 'ENEDIS_R63_TEST.zip')).equals(CONTENT));
  });

  it('reports a wrong password', async () => {
    await assert.rejects(
      transport.deliver(fileOf(CONTENT), sftp({ secret: 'wrong-password' })),
      (error: AppError) => {
        assert.equal(error.code, 'DELIVERY_FAILED');
        assert.equal(error.params.category, 'authentication');
        assert.equal(error.params.reason, 'authentification refusée');
        assert.match(error.detail, /authentication/i, 'the raw cause stays for the log');
        return true;
      },
    );
    const report = await transport.test(sftp({ secret: 'wrong-password' }));
    assert.equal(report.ok, false);
    assert.deepEqual(report.steps, [
      { step: 'connect', ok: false, message: 'Authentification refusée', failure: 'authentication' },
    ]);
    assert.match(report.failureDetail ?? '', /authentication/i);
  });

  it('refuses a server whose host key changed', async () => {
    const impostor = await startSshd();
    try {
      const remote = userWritableDir(sshd);
      await assert.rejects(
        transport.deliver(fileOf(CONTENT), sftp({ port: impostor.port, remoteDir: remote })),
        { code: 'HOST_KEY_MISMATCH' },
      );
      const report = await transport.test(sftp({ port: impostor.port, remoteDir: remote }));
      assert.equal(report.ok, false);
      assert.equal(report.steps[0]!.failure, 'host-key');
      assert.match(report.failureDetail ?? '', /host key/);
      assert.deepEqual(readdirSync(remote), []);
    } finally {
      await impostor.stop();
    }
  });

  it('tells "permission" for a read-only directory, the server\'s words in the log only', async () => {
    const remote = readOnlyDir();
    await assert.rejects(
      transport.deliver(fileOf(CONTENT), sftp({ remoteDir: remote })),
      (error: AppError) => {
        assert.equal(error.params.category, 'permission');
        assert.match(error.detail, /permission denied/i);
        return true;
      },
    );
    const report = await transport.test(sftp({ remoteDir: remote }));
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok]),
      [
        ['connect', true],
        ['write', false],
      ],
    );
    assert.deepEqual(report.steps[1], {
      step: 'write',
      ok: false,
      message: 'Droits insuffisants sur le dossier',
      failure: 'permission',
    });
  });

  it('leaves no file under the final name when the upload is interrupted', async () => {
    const remote = userWritableDir(sshd);
    await assert.rejects(transport.deliver(brokenFile(), sftp({ remoteDir: remote })), /source interrupted/);
    assert.equal(existsSync(path.join(remote, 'ENEDIS_R63_BROKEN.zip')), false);
    assert.deepEqual(visible(remote), []);
  });
});

for (const tls of [false, true]) {
  describe(`${tls ? 'FTPS' : 'FTP'} transport against vsftpd`, () => {
    let server: FtpServer;
    const transport = new FtpTransport({ timeoutMs: 8000, policy });
    before(async () => {
      server = await startVsftpd({ tls });
    });
    after(async () => {
      await server.stop();
    });
    const ftp = (overrides: Partial<ChannelTarget> = {}) =>
      channel({
        kind: tls ? 'ftps' : 'ftp',
        port: server.port,
        username: server.user,
        secret: server.password,
        allowSelfSigned: tls,
        ...overrides,
      });

    it('tests then delivers: temporary name, rename, exact bytes', async () => {
      const remote = userWritableDir(server);
      const report = await transport.test(ftp({ remoteDir: remote }));
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.equal(report.steps.length, 4);
      const receipt = await transport.deliver(fileOf(CONTENT), ftp({ remoteDir: remote }));
      assert.equal(receipt.size, CONTENT.length);
      assert.deepEqual(readdirSync(remote), ['ENEDIS_R63_TEST.zip']);
      assert.ok(readFileSync(path.join(remote, 'ENEDIS_R63_TEST.zip')).equals(CONTENT));
    });

    it('reports a wrong password', async () => {
      await assert.rejects(
        transport.deliver(fileOf(CONTENT), ftp({ secret: 'wrong' })),
        (error: AppError) => {
          assert.equal(error.code, 'DELIVERY_FAILED');
          assert.equal(error.params.category, 'authentication');
          assert.match(error.detail, /530|login/i);
          return true;
        },
      );
      const report = await transport.test(ftp({ secret: 'wrong' }));
      assert.deepEqual(report.steps, [
        { step: 'connect', ok: false, message: 'Authentification refusée', failure: 'authentication' },
      ]);
    });

    it('tells "permission" for a read-only directory, the server\'s reply in the log only', async () => {
      const remote = readOnlyDir();
      await assert.rejects(
        transport.deliver(fileOf(CONTENT), ftp({ remoteDir: remote })),
        (error: AppError) => {
          assert.equal(error.params.category, 'permission');
          assert.match(error.detail, /553|550|permission|denied|could not create/i);
          return true;
        },
      );
    });

    it('leaves no file under the final name when the upload is interrupted', async () => {
      const remote = userWritableDir(server);
      await assert.rejects(transport.deliver(brokenFile(), ftp({ remoteDir: remote })));
      assert.equal(existsSync(path.join(remote, 'ENEDIS_R63_BROKEN.zip')), false);
      assert.deepEqual(visible(remote), []);
    });

    if (tls) {
      it('verifies the certificate by default: a self-signed one is refused without the opt-out', async () => {
        const report = await transport.test(
          ftp({ remoteDir: userWritableDir(server), allowSelfSigned: false }),
        );
        assert.equal(report.ok, false);
        assert.deepEqual(report.steps, [
          { step: 'connect', ok: false, message: 'Erreur TLS', failure: 'tls' },
        ]);
        assert.match(report.failureDetail ?? '', /self[- ]signed|certificate/i);
      });
    }
  });
}

describe('SMTP transport against a real SMTP server', () => {
  let smtp: SmtpSink;
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp.stop();
  });

  it('attaches the file up to the size limit, else sends the archive link', async () => {
    const outbox = mkdtempSync(path.join(tmpdir(), 'publiwatt-outbox-'));
    const transport = new SmtpTransport(
      createMailer({ smtpUrl: smtp.url, outboxDir: outbox, clock: systemClock }),
      {
        maxAttachmentBytes: CONTENT.length,
      },
    );
    const target = channel({ kind: 'email', email: 'energie@client.example' });
    const attached = await transport.deliver(fileOf(CONTENT), target);
    assert.equal(attached.attached, true);
    const big = Buffer.concat([CONTENT, Buffer.from('x')]);
    const linked = await transport.deliver(fileOf(big, 'BIG.zip'), target);
    assert.equal(linked.attached, false);
    const [first, second] = await smtp.waitFor(2);
    assert.equal(first!.to && 'text' in first!.to ? first!.to.text : '', 'energie@client.example');
    assert.equal(first!.attachments.length, 1);
    assert.equal(first!.attachments[0]!.filename, 'ENEDIS_R63_TEST.zip');
    assert.ok(first!.attachments[0]!.content.equals(CONTENT));
    assert.match(first!.text ?? '', /ci-joint/);
    assert.equal(second!.attachments.length, 0);
    assert.match(second!.text ?? '', /dépasse la taille maximale/);
    assert.match(second!.text ?? '', /http:\/\/localhost:3000\/flux\/1/);
    assert.deepEqual(readdirSync(outbox), [], 'nothing in the outbox when SMTP is configured');
  });

  it('writes .eml files to the outbox without an SMTP URL', async () => {
    const outbox = mkdtempSync(path.join(tmpdir(), 'publiwatt-outbox-'));
    const transport = new SmtpTransport(
      createMailer({ smtpUrl: undefined, outboxDir: outbox, clock: systemClock }),
    );
    await transport.deliver(fileOf(CONTENT), channel({ kind: 'email', email: 'energie@client.example' }));
    const files = readdirSync(outbox);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /\.eml$/);
    const eml = readFileSync(path.join(outbox, files[0]!), 'utf8');
    assert.match(eml, /To: energie@client.example/);
    assert.match(eml, /filename=ENEDIS_R63_TEST.zip/);
  });
});
