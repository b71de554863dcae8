import { systemClock } from '../../src/clock.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { parseDatabaseUrl } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { DeliveryRepository } from '../../src/db/delivery.repository.js';
import { SubscriptionChannelRepository } from '../../src/db/subscription-channel.repository.js';
import { AppError } from '../../src/domain/app-error.js';
import type { DeliveryTransport } from '../../src/delivery/transports/delivery-transport.js';
import { createMailer } from '../../src/notification/mailer.js';
import { describeEachEngine } from '../support/databases.js';
import {
  actorFor,
  deliveryStack,
  LOOPBACK_ALLOW,
  seedDeliveryEntreprise,
  type DeliveryStack,
} from '../support/delivery-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';
import { opensslDecrypt } from '../support/openssl.js';
import { startSmtp, type SmtpSink } from '../support/servers/smtp.js';
import { startSshd, type SshdServer } from '../support/servers/sshd.js';
import { userWritableDir } from '../support/servers/system.js';
import { startVsftpd, type FtpServer } from '../support/servers/vsftpd.js';
import { zipFixture } from '../support/zip-fixture.js';

let sshd: SshdServer;
let ftp: FtpServer;
let ftps: FtpServer;
let smtp: SmtpSink;
before(async () => {
  [sshd, ftp, ftps, smtp] = await Promise.all([
    startSshd(),
    startVsftpd({ tls: false }),
    startVsftpd({ tls: true }),
    startSmtp(),
  ]);
});
after(async () => {
  await Promise.all([sshd?.stop(), ftp?.stop(), ftps?.stop(), smtp?.stop()]);
});

const START = new Date('2026-06-01T08:00:00.000Z');

describeEachEngine('dispatcher', (ctx) => {
  const clock = new FakeClock(START);
  let stack: DeliveryStack;
  let entrepriseId: number;
  before(async () => {
    const outbox = mkdtempSync(path.join(tmpdir(), 'publiwatt-outbox-'));
    stack = deliveryStack(ctx.handle, clock, {
      smtpMailer: createMailer({ smtpUrl: smtp.url, outboxDir: outbox, clock: systemClock }),
      // The test servers listen on loopback: this suite opens it as an operator would.
      channelAllow: LOOPBACK_ALLOW,
    });
    entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Envois SA', START);
  });
  const manager = () => actorFor(entrepriseId);

  async function activeServerChannel(kind: 'sftp' | 'ftps' | 'ftp', remoteDir: string): Promise<number> {
    const server = kind === 'sftp' ? sshd : kind === 'ftps' ? ftps : ftp;
    const created = await stack.channels.createServerChannel(manager(), {
      kind,
      label: `${kind} de test`,
      host: '127.0.0.1',
      port: server.port,
      username: server.user,
      secret: server.password,
      remoteDir,
      allowSelfSigned: kind === 'ftps',
      insecureAcknowledged: kind === 'ftp',
    });
    const report = await stack.channels.test(manager(), created.id);
    assert.equal(report.ok, true, JSON.stringify(report));
    await stack.channels.activate(manager(), created.id);
    return created.id;
  }

  async function activeEmailChannel(email: string): Promise<number> {
    const created = await stack.channels.createEmailChannel(manager(), { label: email, email });
    await stack.channels.confirmEmail(stack.mailer.confirmationToken(email));
    return created.id;
  }

  it('delivers a publication over SFTP, FTPS, FTP and e-mail; each file decrypts with openssl to the zip', async () => {
    const dirs = { sftp: userWritableDir(sshd), ftps: userWritableDir(ftps), ftp: userWritableDir(ftp) };
    const channelIds = [
      await activeServerChannel('sftp', dirs.sftp),
      await activeServerChannel('ftps', dirs.ftps),
      await activeServerChannel('ftp', dirs.ftp),
      await activeEmailChannel(`flux-${ctx.engine}@client.example`),
    ];
    await new SubscriptionChannelRepository(ctx.handle.db).replace(101, channelIds, START);
    const zip = await zipFixture('ENEDIS_R63B_356000000.csv', 'prm;valeur\n'.repeat(2000));
    stack.files.add(1, 'ENEDIS_R63B_356000000_00001.zip', zip);
    const scheduled = await stack.deliveries.scheduleForPublication({
      publicationId: 1,
      entrepriseId,
      subscriptionId: 101,
    });
    assert.deepEqual(scheduled, channelIds);
    await stack.deliveries.scheduleForPublication({ publicationId: 1, entrepriseId, subscriptionId: 101 });

    const summary = await stack.dispatcher().runDue();
    assert.deepEqual(summary, { delivered: 4, retried: 0, failed: 0, lost: 0 });
    const rows = await new DeliveryRepository(ctx.handle.db).listForPublication(1);
    assert.equal(rows.length, 4, 'scheduling twice creates nothing more');
    const key = await stack.keys.current(entrepriseId);
    for (const row of rows) {
      assert.equal(row.status, 'delivered');
      assert.equal(row.attempts, 1);
      assert.equal(row.key_version, key.version);
      assert.equal(row.delivered_at, START.toISOString());
    }
    const keyHex = key.key.toString('hex');
    for (const dir of Object.values(dirs)) {
      assert.deepEqual(readdirSync(dir), ['ENEDIS_R63B_356000000_00001.zip']);
      const delivered = readFileSync(path.join(dir, 'ENEDIS_R63B_356000000_00001.zip'));
      assert.ok(opensslDecrypt(delivered, keyHex).equals(zip), dir);
    }
    // The SMTP server is shared by both engines' suites: pick this suite's message by recipient.
    const addressedHere = () =>
      smtp.messages.find((m) => m.to && 'text' in m.to && m.to.text === `flux-${ctx.engine}@client.example`);
    for (let waited = 0; !addressedHere() && waited < 100; waited++) await sleep(50);
    const mail = addressedHere();
    assert.ok(mail, 'the e-mail arrived');
    assert.equal(mail.attachments[0]?.filename, 'ENEDIS_R63B_356000000_00001.zip');
    assert.ok(opensslDecrypt(mail.attachments[0]!.content, keyHex).equals(zip));
  });

  it('uses the current key version for new deliveries; earlier deliveries keep theirs', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeServerChannel('sftp', dir);
    const before = await stack.keys.current(entrepriseId);
    await stack.keys.rotate(manager());
    const zip = await zipFixture('ENEDIS_R64B.csv');
    stack.files.add(2, 'ENEDIS_R64B_00002.zip', zip);
    await new DeliveryRepository(ctx.handle.db).createForPublication(
      2,
      entrepriseId,
      [channelId],
      clock.now(),
    );
    await stack.dispatcher().runDue();
    const [row] = await new DeliveryRepository(ctx.handle.db).listForPublication(2);
    assert.equal(row!.key_version, before.version + 1);
    const rotated = await stack.keys.current(entrepriseId);
    assert.ok(
      opensslDecrypt(
        readFileSync(path.join(dir, 'ENEDIS_R64B_00002.zip')),
        rotated.key.toString('hex'),
      ).equals(zip),
    );
    const first = await new DeliveryRepository(ctx.handle.db).listForPublication(1);
    assert.ok(first.every((r) => r.key_version === before.version));
  });

  it('retries after the server was down and delivers exactly one file', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeServerChannel('sftp', dir);
    stack.files.add(3, 'ENEDIS_R63_00003.zip', await zipFixture());
    await new DeliveryRepository(ctx.handle.db).createForPublication(
      3,
      entrepriseId,
      [channelId],
      clock.now(),
    );
    await sshd.stop();
    try {
      assert.deepEqual(await stack.dispatcher().runDue(), { delivered: 0, retried: 1, failed: 0, lost: 0 });
    } finally {
      await sshd.restart();
    }
    let [row] = await new DeliveryRepository(ctx.handle.db).listForPublication(3);
    assert.equal(row!.status, 'pending');
    assert.equal(row!.last_error, 'connexion refusée ou serveur injoignable', 'in the customer’s words');
    assert.equal(
      row!.next_attempt_at,
      new Date(START.getTime() + 45_000).toISOString(),
      'first retry: 1 min, jitter 0.5',
    );
    assert.deepEqual(
      await stack.dispatcher().runDue(),
      { delivered: 0, retried: 0, failed: 0, lost: 0 },
      'not due yet',
    );
    clock.set(row!.next_attempt_at);
    try {
      assert.deepEqual(await stack.dispatcher().runDue(), { delivered: 1, retried: 0, failed: 0, lost: 0 });
      assert.deepEqual(await stack.dispatcher().runDue(), { delivered: 0, retried: 0, failed: 0, lost: 0 });
    } finally {
      clock.set(START);
    }
    [row] = await new DeliveryRepository(ctx.handle.db).listForPublication(3);
    assert.equal(row!.status, 'delivered');
    assert.equal(row!.attempts, 2);
    assert.deepEqual(readdirSync(dir), ['ENEDIS_R63_00003.zip']);
  });

  it('backs off exponentially for 72 h from the first attempt, then fails and mails the data managers', async () => {
    const failing: DeliveryTransport = {
      deliver: () =>
        Promise.reject(
          new AppError('DELIVERY_FAILED', 'ftp: 552 Disk full', {
            category: 'transfer',
            reason: 'transfert interrompu',
          }),
        ),
    };
    const dir = userWritableDir(ftp);
    const channelId = await activeServerChannel('ftp', dir);
    stack.files.add(4, 'ENEDIS_R63_00004.zip', await zipFixture());
    const repository = new DeliveryRepository(ctx.handle.db);
    await repository.createForPublication(4, entrepriseId, [channelId], clock.now());
    const dispatcher = stack.dispatcher({ transports: { ftp: failing } });
    const mailsBefore = stack.mailer.sent.length;
    const attemptsAt: number[] = [];
    try {
      for (let guard = 0; guard < 100; guard++) {
        attemptsAt.push(clock.now().getTime() - START.getTime());
        await dispatcher.runDue();
        const [row] = await repository.listForPublication(4);
        if (row!.status === 'failed') break;
        assert.equal(row!.status, 'pending');
        clock.set(row!.next_attempt_at);
      }
    } finally {
      clock.set(START);
    }
    const [row] = await repository.listForPublication(4);
    assert.equal(row!.status, 'failed');
    assert.equal(row!.last_error, 'transfert interrompu', 'the server’s reply is for the log only');
    assert.equal(row!.attempts, attemptsAt.length);
    const gaps = attemptsAt.slice(1).map((t, i) => (t - attemptsAt[i]!) / 60_000);
    assert.deepEqual(
      gaps.slice(0, 10),
      [0.75, 1.5, 3, 6, 12, 24, 48, 96, 192, 270],
      'minutes, jitter fixed at 0.5',
    );
    assert.equal(attemptsAt.at(-1), 72 * 3600 * 1000, 'the last attempt is exactly 72 h after the first');
    assert.ok(attemptsAt.slice(0, -1).every((t) => t < 72 * 3600 * 1000));
    const mails = stack.mailer.sent.slice(mailsBefore);
    assert.deepEqual(
      mails.map((m) => m.to),
      ['gestion@envois-sa.example'],
      'only the users holding GESTION_SERVICES_DONNEES',
    );
    assert.match(mails[0]!.subject, /Échec d'envoi/);
    assert.match(mails[0]!.text, /72 heures/);
    assert.match(mails[0]!.text, /Dernière erreur : transfert interrompu/);
    assert.doesNotMatch(mails[0]!.text, /552|Disk full/);
  });

  it('re-sends an archived publication to a chosen channel as a new row', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeServerChannel('sftp', dir);
    const resend = await stack.deliveries.resend(manager(), { publicationId: 1, channelId });
    assert.equal(resend.resend_seq, 1);
    assert.equal(resend.status, 'pending');
    const again = await stack.deliveries.resend(manager(), { publicationId: 1, channelId });
    assert.equal(again.resend_seq, 2);
    assert.deepEqual(await stack.dispatcher().runDue(), { delivered: 2, retried: 0, failed: 0, lost: 0 });
    assert.deepEqual(readdirSync(dir), ['ENEDIS_R63B_356000000_00001.zip']);
    await assert.rejects(
      stack.deliveries.resend(actorFor(entrepriseId, ['CONSULTATION']), { publicationId: 1, channelId }),
      { code: 'FORBIDDEN_HABILITATION' },
    );
  });

  it('never delivers a row twice with two dispatchers on separate connections', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeServerChannel('sftp', dir);
    const calls = new Map<string, number>();
    const counting: DeliveryTransport = {
      async deliver(file) {
        calls.set(file.fileName, (calls.get(file.fileName) ?? 0) + 1);
        await sleep(5);
        return { location: file.fileName, size: file.size };
      },
    };
    const repository = new DeliveryRepository(ctx.handle.db);
    for (let id = 1000; id < 1040; id++) {
      stack.files.add(id, `F${id}.zip`, await zipFixture());
      await repository.createForPublication(id, entrepriseId, [channelId], clock.now());
    }
    const second = openDatabase(parseDatabaseUrl(ctx.url));
    try {
      const summaries = await Promise.all([
        stack.dispatcher({ workerId: 'a', transports: { sftp: counting } }).runDue(),
        stack.dispatcher({ workerId: 'b', handle: second, transports: { sftp: counting } }).runDue(),
      ]);
      assert.equal(summaries[0].delivered + summaries[1].delivered, 40);
    } finally {
      await second.destroy();
    }
    assert.equal(calls.size, 40);
    assert.ok(
      [...calls.values()].every((n) => n === 1),
      'each file sent once',
    );
  });

  if (ctx.engine === 'postgres') {
    it('lets a second worker claim other rows while the first claim is still open (SKIP LOCKED)', async () => {
      const dir = userWritableDir(sshd);
      const channelId = await activeServerChannel('sftp', dir);
      const repository = new DeliveryRepository(ctx.handle.db);
      for (let id = 2000; id < 2010; id++) {
        await repository.createForPublication(id, entrepriseId, [channelId], clock.now());
      }
      const second = openDatabase(parseDatabaseUrl(ctx.url));
      const lease = new Date(START.getTime() + 60_000);
      try {
        await ctx.handle.db.transaction().execute(async (trx) => {
          const mine = await new DeliveryRepository(trx).claimDue('a', clock.now(), lease, 5);
          // The first claim is not committed: its rows are locked. The second worker must neither wait
          // for them nor take them.
          const theirs = await Promise.race([
            new DeliveryRepository(second.db).claimDue('b', clock.now(), lease, 10),
            sleep(5000).then(() => {
              throw new Error('the second claim waited for the first one');
            }),
          ]);
          assert.equal(mine.length, 5);
          assert.equal(theirs.length, 5);
          const ids = new Set([...mine, ...theirs].map((r) => r.id));
          assert.equal(ids.size, 10, 'disjoint claims');
        });
      } finally {
        await second.destroy();
      }
    });
  }

  it('takes over a row whose worker died, and the dead worker cannot record a result afterwards', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeServerChannel('sftp', dir);
    stack.files.add(5, 'ENEDIS_R63_00005.zip', await zipFixture());
    const repository = new DeliveryRepository(ctx.handle.db);
    await repository.createForPublication(5, entrepriseId, [channelId], clock.now());
    const [claimed] = await repository.claimDue('dead', clock.now(), new Date(START.getTime() + 60_000), 10);
    assert.equal(claimed!.publication_id, 5);
    assert.equal(
      (await repository.claimDue('other', clock.now(), new Date(START.getTime() + 60_000), 10)).length,
      0,
    );
    clock.advance(60_000);
    try {
      assert.equal((await stack.dispatcher().runDue()).delivered, 1);
    } finally {
      clock.set(START);
    }
    assert.equal(
      await repository.markDelivered(claimed!.id, 'dead', { keyVersion: 1, receipt: {} }, clock.now()),
      false,
    );
    const [row] = await repository.listForPublication(5);
    assert.equal(row!.status, 'delivered');
    assert.equal(row!.attempts, 2);
  });
});
