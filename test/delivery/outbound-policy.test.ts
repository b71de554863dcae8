import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, it } from 'node:test';
import { ChannelRepository } from '../../src/db/channel.repository.js';
import { DeliveryRepository } from '../../src/db/delivery.repository.js';
import { describeEachEngine } from '../support/databases.js';
import {
  actorFor,
  CapturingLog,
  deliveryStack,
  seedDeliveryEntreprise,
  type DeliveryStack,
} from '../support/delivery-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  CHATTY_SECRET,
  startRecordingListener,
  type RecordingListener,
} from '../support/servers/recording-listener.js';
import { freePort } from '../support/servers/system.js';
import { zipFixture } from '../support/zip-fixture.js';

const START = new Date('2026-06-01T08:00:00.000Z');
const KINDS = ['sftp', 'ftps', 'ftp'] as const;

/** What a customer may read when a test or a delivery fails, and nothing else. */
const CUSTOMER_WORDS = [
  'adresse non autorisée (réseau local, privé ou réservé)',
  'serveur introuvable',
  'connexion refusée ou serveur injoignable',
  'authentification refusée',
  'droits insuffisants sur le dossier',
  'erreur TLS',
  'clé d’hôte différente de celle enregistrée au premier test',
  'transfert interrompu',
];
const ADDRESS_REFUSED = CUSTOMER_WORDS[0]!;
const UNREACHABLE = CUSTOMER_WORDS[2]!;
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Hosts a customer could type to reach the server itself, its network or the cloud's metadata
 * service: loopback in every numeric spelling the system resolver reads, names for it, unspecified
 * (which Linux connects to this machine), private, shared, link-local, multicast, broadcast, metadata,
 * and the IPv6 forms of them.
 */
const REFUSED_HOSTS = [
  '127.0.0.1',
  'localhost',
  '0.0.0.0',
  '0',
  '127.1',
  '2130706433',
  '0x7f.1',
  '0177.0.0.1',
  '[::ffff:127.0.0.1]',
  '::ffff:7f00:1',
  '::1',
  '::',
  '169.254.169.254',
  'fd00:ec2::254',
  '10.0.0.1',
  '172.16.5.4',
  '192.168.1.1',
  '100.64.0.1',
  'fd00::1',
  'fe80::1',
  '224.0.0.1',
  '255.255.255.255',
];

describeEachEngine('outbound connections of customer channels', (ctx) => {
  const clock = new FakeClock(START);
  const log = new CapturingLog();
  let stack: DeliveryStack;
  let entrepriseId: number;
  let silent: RecordingListener;
  let sshLike: RecordingListener;
  let chatty: RecordingListener;
  let nextPublication = 1;

  before(async () => {
    [silent, sshLike, chatty] = await Promise.all([
      startRecordingListener('silent'),
      startRecordingListener('ssh-garbage'),
      startRecordingListener('ftp-chatty'),
    ]);
    // No allow-list, as with PUBLIWATT_CHANNEL_ALLOW unset.
    stack = deliveryStack(ctx.handle, clock, { logger: log, transportTimeoutMs: 1000 });
    entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Sortant SA', START);
  });
  after(async () => {
    await Promise.all([silent?.close(), sshLike?.close(), chatty?.close()]);
  });
  const manager = () => actorFor(entrepriseId);

  /**
   * An active channel whose stored host is `host`: created with a public name, then pointed at the
   * target the way a DNS change or a row written before the rule would, so only the connection-time
   * check stands between the transport and the target.
   */
  async function storedChannel(
    channels: DeliveryStack['channels'],
    kind: (typeof KINDS)[number],
    host: string,
    port: number,
  ): Promise<number> {
    const created = await channels.createServerChannel(manager(), {
      kind,
      label: `${kind} ${host}`,
      host: 'depot.client.example',
      port,
      username: 'depot',
      secret: 'mot-de-passe',
      allowSelfSigned: kind === 'ftps',
      insecureAcknowledged: kind === 'ftp',
    });
    await new ChannelRepository(ctx.handle.db).update(created.id, {
      host,
      status: 'ACTIF',
      host_key_fingerprint: kind === 'sftp' ? 'SHA256:cle-epinglee-au-premier-test' : null,
    });
    return created.id;
  }

  /** Schedules one delivery per channel, runs the dispatcher, and returns each row's stored error. */
  async function deliverTo(stackUsed: DeliveryStack, channelIds: number[]): Promise<Array<string | null>> {
    const publicationId = nextPublication++;
    stackUsed.files.add(publicationId, `ENEDIS_R63_${publicationId}.zip`, await zipFixture());
    const deliveries = new DeliveryRepository(ctx.handle.db);
    await deliveries.createForPublication(publicationId, entrepriseId, channelIds, clock.now());
    const summary = await stackUsed.dispatcher().runDue();
    assert.equal(summary.delivered, 0);
    const rows = await deliveries.listForPublication(publicationId);
    assert.equal(rows.length, channelIds.length);
    return rows.map((row) => row.last_error);
  }

  it('refuses every local, private, reserved and metadata target when testing and when delivering, without connecting', async () => {
    const ids: number[] = [];
    for (const host of REFUSED_HOSTS) {
      for (const kind of KINDS) {
        const id = await storedChannel(stack.channels, kind, host, silent.port);
        ids.push(id);
        const report = await stack.channels.test(manager(), id);
        assert.equal(report.ok, false, `${kind}://${host}`);
        assert.deepEqual(
          report.steps,
          [{ step: 'connect', ok: false, message: sentence(ADDRESS_REFUSED), failure: 'address-refused' }],
          `${kind}://${host}`,
        );
      }
    }
    const errors = await deliverTo(stack, ids);
    assert.deepEqual(new Set(errors), new Set([ADDRESS_REFUSED]));
    assert.equal(silent.connections, 0, 'the loopback listener saw no connection');
    const logged = JSON.stringify(log.warnings);
    assert.match(logged, /resolves to 127\.0\.0\.1 \(loopback\)/, 'the operator log names the address');
    assert.match(logged, /resolves to 169\.254\.169\.254 \(cloud-metadata\)/);
  });

  it('refuses a host written as a refused address when the channel is saved, naming the field', async () => {
    for (const host of REFUSED_HOSTS) {
      await assert.rejects(
        stack.channels.createServerChannel(manager(), {
          kind: 'sftp',
          label: 'interne',
          host,
          username: 'depot',
          secret: 'mot-de-passe',
        }),
        (error: { code?: string; params?: { reason?: string } }) => {
          assert.equal(error.code, 'CHANNEL_INVALID', host);
          assert.match(error.params?.reason ?? '', /champ « Hôte ».*adresse non autorisée/, host);
          return true;
        },
      );
    }
    const id = await storedChannel(stack.channels, 'sftp', 'depot.client.example', 22);
    await assert.rejects(
      stack.channels.updateServerChannel(manager(), id, {
        kind: 'sftp',
        label: 'interne',
        host: '10.1.2.3',
        username: 'depot',
      }),
      { code: 'CHANNEL_INVALID' },
    );
    // Public addresses and names are kept (names are checked when connecting).
    for (const host of ['sftp.client.example', '203.0.114.10', '2a01:cb00::1']) {
      await stack.channels.createServerChannel(manager(), {
        kind: 'sftp',
        label: 'public',
        host,
        username: 'depot',
        secret: 'mot-de-passe',
      });
    }
  });

  it('reaches the same loopback server once the operator allows it, by range or by name', async () => {
    for (const [allow, host] of [
      [['127.0.0.0/8'], '127.0.0.1'],
      [['localhost'], 'localhost'],
    ] as const) {
      const allowed = deliveryStack(ctx.handle, clock, { channelAllow: allow, transportTimeoutMs: 500 });
      const before = silent.connections;
      const id = await storedChannel(allowed.channels, 'ftp', host, silent.port);
      const report = await allowed.channels.test(manager(), id);
      assert.equal(silent.connections, before + 1, `${allow.join(',')}: the test connected`);
      assert.deepEqual(report.steps, [
        { step: 'connect', ok: false, message: sentence(UNREACHABLE), failure: 'unreachable' },
      ]);
      assert.deepEqual(await deliverTo(allowed, [id]), [UNREACHABLE]);
      assert.equal(silent.connections, before + 2, `${allow.join(',')}: the delivery connected`);
    }
    // The metadata service stays closed whatever the list says.
    const wide = deliveryStack(ctx.handle, clock, { channelAllow: ['169.254.0.0/16', 'fd00::/8'] });
    for (const host of ['169.254.169.254', 'fd00:ec2::254']) {
      const id = await storedChannel(wide.channels, 'sftp', host, 80);
      const report = await wide.channels.test(manager(), id);
      assert.equal(report.steps[0]?.failure, 'address-refused', host);
    }
  });

  it('answers every failed test after the same delay and in fixed words, whatever is behind the port', async () => {
    const delayMs = 1500;
    const quiet = new CapturingLog();
    const allowed = deliveryStack(ctx.handle, clock, {
      channelAllow: ['127.0.0.1'],
      transportTimeoutMs: 400,
      testFailureDelayMs: delayMs,
      logger: quiet,
    });
    const closedPort = await freePort();
    const answers: Array<{ ms: number; steps: unknown }> = [];
    for (const port of [closedPort, silent.port, sshLike.port]) {
      const id = await storedChannel(allowed.channels, 'sftp', '127.0.0.1', port);
      const started = performance.now();
      const report = await allowed.channels.test(manager(), id);
      answers.push({ ms: performance.now() - started, steps: report.steps });
    }
    for (const answer of answers) {
      assert.ok(answer.ms >= delayMs - 5 && answer.ms < delayMs + 400, `answered after ${answer.ms} ms`);
      assert.deepEqual(answer.steps, [
        { step: 'connect', ok: false, message: sentence(UNREACHABLE), failure: 'unreachable' },
      ]);
    }
    // The operator still sees what happened.
    const logged = JSON.stringify(quiet.warnings);
    assert.match(logged, /ECONNREFUSED/);
    assert.match(logged, /Bad packet length|Protocol error|packet/i);
  });

  it("never shows the server's replies: a test and a delivery tell the category only", async () => {
    const quiet = new CapturingLog();
    const allowed = deliveryStack(ctx.handle, clock, { channelAllow: ['127.0.0.1'], logger: quiet });
    const id = await storedChannel(allowed.channels, 'ftp', '127.0.0.1', chatty.port);
    const report = await allowed.channels.test(manager(), id);
    assert.deepEqual(report.steps, [
      { step: 'connect', ok: false, message: 'Authentification refusée', failure: 'authentication' },
    ]);
    const stored = await allowed.channels.get(manager(), id);
    assert.ok(!JSON.stringify([report, stored]).includes(CHATTY_SECRET));
    const [error] = await deliverTo(allowed, [id]);
    assert.equal(error, 'authentification refusée');
    assert.ok(CUSTOMER_WORDS.includes(error!));
    assert.ok(
      !JSON.stringify(stack.mailer.sent).includes(CHATTY_SECRET) &&
        !JSON.stringify(allowed.mailer.sent).includes(CHATTY_SECRET),
    );
    assert.match(JSON.stringify(quiet.warnings), new RegExp(CHATTY_SECRET), 'the raw reply is in the log');
  });
});
