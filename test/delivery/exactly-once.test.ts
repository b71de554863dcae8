import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { Client as FtpClient } from 'basic-ftp';
import SftpClient from 'ssh2-sftp-client';
import { DeliveryRepository } from '../../src/db/delivery.repository.js';
import type { DeliveryTransport } from '../../src/delivery/transports/delivery-transport.js';
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
import { startSshd, type SshdServer } from '../support/servers/sshd.js';
import { userWritableDir } from '../support/servers/system.js';
import { startVsftpd, type FtpServer } from '../support/servers/vsftpd.js';
import { zipFixture } from '../support/zip-fixture.js';

let sshd: SshdServer;
let ftp: FtpServer;
before(async () => {
  [sshd, ftp] = await Promise.all([startSshd(), startVsftpd({ tls: false })]);
});
after(async () => {
  await Promise.all([sshd?.stop(), ftp?.stop()]);
});

const START = new Date('2026-06-01T08:00:00.000Z');
/** Past the dispatcher's 15 min lease. */
const AFTER_LEASE_MS = 15 * 60_000 + 1000;

/**
 * The real transport, in a worker killed right after the rename: the file has its final name on the
 * server, and nothing more happens (no recording, no clean-up).
 */
function killedAfterRename(real: DeliveryTransport, renamed: () => void): DeliveryTransport {
  return {
    async deliver(file, target) {
      await real.deliver({ ...file, onDelivered: undefined }, target);
      renamed();
      return new Promise(() => undefined);
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 20_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describeEachEngine('exactly-once delivery on file servers', (ctx) => {
  const clock = new FakeClock(START);
  let stack: DeliveryStack;
  let entrepriseId: number;
  let repository: DeliveryRepository;
  before(async () => {
    stack = deliveryStack(ctx.handle, clock, { channelAllow: LOOPBACK_ALLOW });
    entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Une Fois SA', START);
    repository = new DeliveryRepository(ctx.handle.db);
  });

  async function activeChannel(kind: 'sftp' | 'ftp', remoteDir: string): Promise<number> {
    const server = kind === 'sftp' ? sshd : ftp;
    const manager = actorFor(entrepriseId);
    const created = await stack.channels.createServerChannel(manager, {
      kind,
      label: `${kind} une fois`,
      host: '127.0.0.1',
      port: server.port,
      username: server.user,
      secret: server.password,
      remoteDir,
      insecureAcknowledged: kind === 'ftp',
    });
    const report = await stack.channels.test(manager, created.id);
    assert.equal(report.ok, true, JSON.stringify(report));
    await stack.channels.activate(manager, created.id);
    return created.id;
  }

  async function scheduled(publicationId: number, channelId: number): Promise<{ zip: Buffer; name: string }> {
    const name = `ENEDIS_R63_${publicationId}.zip`;
    const zip = await zipFixture('ENEDIS_R63.csv', `prm;valeur;${publicationId}\n`.repeat(500));
    stack.files.add(publicationId, name, zip);
    await repository.createForPublication(publicationId, entrepriseId, [channelId], clock.now());
    return { zip, name };
  }

  it('records the delivery before the SFTP session is closed', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeChannel('sftp', dir);
    await scheduled(10, channelId);
    const statusAtClose: string[] = [];
    const end = Object.getOwnPropertyDescriptor(SftpClient.prototype, 'end')!;
    Object.defineProperty(SftpClient.prototype, 'end', {
      ...end,
      value: async function (this: SftpClient) {
        const [row] = await repository.listForPublication(10);
        statusAtClose.push(row!.status);
        return (end.value as (this: SftpClient) => Promise<boolean>).call(this);
      },
    });
    try {
      assert.equal((await stack.dispatcher().runDue()).delivered, 1);
    } finally {
      Object.defineProperty(SftpClient.prototype, 'end', end);
    }
    assert.deepEqual(statusAtClose, ['delivered'], 'a kill while closing leaves nothing to send again');
  });

  it('records the delivery before the FTP control connection is closed', async () => {
    const dir = userWritableDir(ftp);
    const channelId = await activeChannel('ftp', dir);
    await scheduled(15, channelId);
    let recorded = false;
    const observing: DeliveryTransport = {
      deliver: (file, target) =>
        stack.transports.ftp.deliver(
          {
            ...file,
            onDelivered: async (receipt) => {
              await file.onDelivered?.(receipt);
              recorded = true;
            },
          },
          target,
        ),
    };
    const recordedAtClose: boolean[] = [];
    const close = Object.getOwnPropertyDescriptor(FtpClient.prototype, 'close')!;
    Object.defineProperty(FtpClient.prototype, 'close', {
      ...close,
      value: function (this: FtpClient) {
        recordedAtClose.push(recorded);
        return (close.value as (this: FtpClient) => void).call(this);
      },
    });
    try {
      assert.equal((await stack.dispatcher({ transports: { ftp: observing } }).runDue()).delivered, 1);
    } finally {
      Object.defineProperty(FtpClient.prototype, 'close', close);
    }
    assert.deepEqual(recordedAtClose, [true]);
    const [row] = await repository.listForPublication(15);
    assert.equal(row!.status, 'delivered');
  });

  for (const kind of ['sftp', 'ftp'] as const) {
    it(`${kind}: a worker killed after the rename: the next attempt finds the file, records it and sends nothing`, async () => {
      const publicationId = kind === 'sftp' ? 11 : 12;
      const dir = userWritableDir(kind === 'sftp' ? sshd : ftp);
      const channelId = await activeChannel(kind, dir);
      const { zip, name } = await scheduled(publicationId, channelId);
      let renamed = false;
      // Never settles: the dead worker's promise is left behind, as its process would be.
      void stack
        .dispatcher({
          workerId: 'killed',
          transports: { [kind]: killedAfterRename(stack.transports[kind], () => (renamed = true)) },
        })
        .runDue();
      await until(() => renamed, 'the first upload');
      const [claimed] = await repository.listForPublication(publicationId);
      assert.equal(claimed!.status, 'delivering', 'claimed, never recorded');
      const sent = readFileSync(path.join(dir, name));
      // What an attempt killed earlier still, during its upload, left under this delivery's tag.
      const leftover = `.${name}.${claimed!.id}-0123abcd.part`;
      const othersPart = `.${name}.${claimed!.id + 1000}-0123abcd.part`;
      writeFileSync(path.join(dir, leftover), 'partial');
      writeFileSync(path.join(dir, othersPart), 'another delivery is writing');

      clock.advance(AFTER_LEASE_MS);
      try {
        assert.deepEqual(await stack.dispatcher().runDue(), {
          delivered: 1,
          retried: 0,
          failed: 0,
          lost: 0,
        });
      } finally {
        clock.set(START);
      }
      const [row] = await repository.listForPublication(publicationId);
      assert.equal(row!.status, 'delivered');
      assert.equal(row!.attempts, 2);
      assert.deepEqual(JSON.parse(row!.receipt!), {
        location: path.join(dir, name),
        size: sent.length,
        alreadyPresent: true,
      });
      const key = await stack.keys.current(entrepriseId);
      assert.equal(row!.key_version, key.version);
      assert.deepEqual(
        readdirSync(dir).sort(),
        [othersPart, name].sort(),
        'our leftover removed, not theirs',
      );
      assert.ok(
        readFileSync(path.join(dir, name)).equals(sent),
        'not uploaded again (a new IV would differ)',
      );
      assert.ok(opensslDecrypt(sent, key.key.toString('hex')).equals(zip));
    });
  }

  it('recognises an earlier upload made with a key since rotated', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeChannel('sftp', dir);
    const { name } = await scheduled(13, channelId);
    const before = await stack.keys.current(entrepriseId);
    let renamed = false;
    void stack
      .dispatcher({
        workerId: 'killed',
        transports: { sftp: killedAfterRename(stack.transports.sftp, () => (renamed = true)) },
      })
      .runDue();
    await until(() => renamed, 'the first upload');
    await stack.keys.rotate(actorFor(entrepriseId));
    clock.advance(AFTER_LEASE_MS);
    try {
      assert.equal((await stack.dispatcher().runDue()).delivered, 1);
    } finally {
      clock.set(START);
    }
    const [row] = await repository.listForPublication(13);
    assert.equal(row!.key_version, before.version, 'the version the file on the server is encrypted with');
    assert.deepEqual(readdirSync(dir), [name]);
  });

  it('does not replace another file of the same name; a re-send does', async () => {
    const dir = userWritableDir(sshd);
    const channelId = await activeChannel('sftp', dir);
    const { zip, name } = await scheduled(14, channelId);
    // Same size as the encrypted file, other bytes: the customer's, or their processing of a copy.
    const theirs = randomBytes(16 + (Math.floor(zip.length / 16) + 1) * 16);
    writeFileSync(path.join(dir, name), theirs);
    assert.deepEqual(await stack.dispatcher().runDue(), { delivered: 0, retried: 1, failed: 0, lost: 0 });
    const [row] = await repository.listForPublication(14);
    assert.equal(row!.status, 'pending');
    assert.equal(row!.last_error, 'un autre fichier du même nom est déjà sur le serveur');
    assert.ok(readFileSync(path.join(dir, name)).equals(theirs), 'left as it was');

    await stack.deliveries.resend(actorFor(entrepriseId), { publicationId: 14, channelId });
    assert.equal((await stack.dispatcher().runDue()).delivered, 1);
    const key = await stack.keys.current(entrepriseId);
    assert.ok(opensslDecrypt(readFileSync(path.join(dir, name)), key.key.toString('hex')).equals(zip));
    assert.equal(existsSync(path.join(dir, `.${name}`)), false);
  });
});
