import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { describeEachEngine } from '../support/databases.js';
import {
  actorFor,
  deliveryStack,
  LOOPBACK_ALLOW,
  seedDeliveryEntreprise,
  type DeliveryStack,
} from '../support/delivery-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';
import { startSshd, type SshdServer } from '../support/servers/sshd.js';
import { userWritableDir } from '../support/servers/system.js';

let sshd: SshdServer;
before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
});

const START = new Date('2026-06-01T08:00:00.000Z');

describeEachEngine('channels and encryption keys', (ctx) => {
  const clock = new FakeClock(START);
  let stack: DeliveryStack;
  let entrepriseId: number;
  let otherId: number;
  before(async () => {
    // The test sshd listens on loopback: this suite opens it as an operator would.
    stack = deliveryStack(ctx.handle, clock, { channelAllow: LOOPBACK_ALLOW });
    entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Canaux SA', START);
    otherId = await seedDeliveryEntreprise(ctx.handle.db, 'Autre SA', START);
  });
  const manager = () => actorFor(entrepriseId);

  it('keeps a new e-mail address Inactif until its single-use link is followed', async () => {
    const created = await stack.channels.createEmailChannel(manager(), {
      label: 'Énergie',
      email: 'Energie@Client.example',
    });
    assert.equal(created.status, 'INACTIF');
    assert.equal(created.email, 'energie@client.example');
    await assert.rejects(stack.channels.activate(manager(), created.id), { code: 'CHANNEL_NOT_ACTIVABLE' });
    const mail = stack.mailer.sent.at(-1)!;
    assert.equal(mail.to, 'energie@client.example');
    assert.match(mail.text, /confirmer/);
    const token = stack.mailer.confirmationToken('energie@client.example');
    const confirmed = await stack.channels.confirmEmail(token);
    assert.equal(confirmed.status, 'ACTIF');
    assert.ok(confirmed.confirmedAt);
    await assert.rejects(
      stack.channels.confirmEmail(token),
      { code: 'CONFIRMATION_TOKEN_INVALID' },
      'single use',
    );
  });

  it('refuses an expired confirmation link (48 h)', async () => {
    const created = await stack.channels.createEmailChannel(manager(), {
      label: '',
      email: 'tard@client.example',
    });
    const token = stack.mailer.confirmationToken('tard@client.example');
    clock.advance(48 * 3600_000);
    try {
      await assert.rejects(stack.channels.confirmEmail(token), { code: 'CONFIRMATION_TOKEN_INVALID' });
      assert.equal((await stack.channels.get(manager(), created.id)).status, 'INACTIF');
    } finally {
      clock.set(START);
    }
  });

  it('needs GESTION_SERVICES_DONNEES and stays inside the entreprise', async () => {
    await assert.rejects(
      stack.channels.createEmailChannel(actorFor(entrepriseId, ['CONSULTATION']), {
        label: 'x',
        email: 'x@y.example',
      }),
      { code: 'FORBIDDEN_HABILITATION' },
    );
    const [own] = await stack.channels.list(manager());
    await assert.rejects(stack.channels.get(actorFor(otherId), own!.id), { code: 'NOT_FOUND' });
    await assert.rejects(stack.channels.deactivate(actorFor(otherId), own!.id), { code: 'NOT_FOUND' });
  });

  it('requires an explicit acknowledgement for plain FTP and flags it insecure', async () => {
    const input = { kind: 'ftp' as const, label: 'ftp', host: '127.0.0.1', username: 'u', secret: 'p' };
    await assert.rejects(stack.channels.createServerChannel(manager(), input), { code: 'CHANNEL_INVALID' });
    const created = await stack.channels.createServerChannel(manager(), {
      ...input,
      insecureAcknowledged: true,
    });
    assert.equal(created.insecure, true);
    assert.equal(created.port, 21);
  });

  it('activates a server only after a successful test, pins the SFTP host key, and refuses a changed one', async () => {
    const remote = userWritableDir(sshd);
    const created = await stack.channels.createServerChannel(manager(), {
      kind: 'sftp',
      label: 'SFTP client',
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      secret: sshd.password,
      remoteDir: remote,
    });
    assert.equal(created.status, 'INACTIF');
    assert.equal(created.hostKeyFingerprint, null);
    await assert.rejects(stack.channels.activate(manager(), created.id), { code: 'CHANNEL_NOT_ACTIVABLE' });
    const report = await stack.channels.test(manager(), created.id);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.deepEqual(
      report.steps.map((s) => s.step),
      ['connect', 'write', 'rename', 'delete'],
    );
    const tested = await stack.channels.get(manager(), created.id);
    assert.equal(tested.hostKeyFingerprint, sshd.hostKeyFingerprint);
    assert.equal(tested.lastTest?.ok, true);
    assert.equal((await stack.channels.activate(manager(), created.id)).status, 'ACTIF');

    // Same host and port, another host key: the pinned key wins.
    await sshd.stop();
    const impostor = await startSshd({ port: sshd.port });
    try {
      const refused = await stack.channels.test(manager(), created.id);
      assert.equal(refused.ok, false);
      assert.equal(refused.steps[0]!.failure, 'host-key');
      assert.equal(refused.steps[0]!.message, 'Clé d’hôte différente de celle enregistrée au premier test');
      assert.equal(
        (await stack.channels.get(manager(), created.id)).hostKeyFingerprint,
        sshd.hostKeyFingerprint,
      );
    } finally {
      await impostor.stop();
      await sshd.restart();
    }

    // Editing the connection makes it Inactif until a new successful test.
    const edited = await stack.channels.updateServerChannel(manager(), created.id, {
      kind: 'sftp',
      label: 'SFTP client',
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      remoteDir: remote,
      authKind: 'key',
      secret: sshd.privateKey,
    });
    assert.equal(edited.status, 'INACTIF');
    assert.equal(edited.hostKeyFingerprint, sshd.hostKeyFingerprint, 'same server: the pin stays');
    assert.equal((await stack.channels.test(manager(), created.id)).ok, true);
    assert.equal((await stack.channels.activate(manager(), created.id)).status, 'ACTIF');

    const actions = (
      await new AuditRepository(ctx.handle.db).listForEntreprise(entrepriseId, { action: 'channel.' })
    ).map((a) => a.action);
    for (const action of [
      'channel.created',
      'channel.tested',
      'channel.activated',
      'channel.updated',
      'channel.confirmed',
    ]) {
      assert.ok(actions.includes(action), `${action} audited`);
    }
  });

  it('never stores nor returns a channel secret in clear', async () => {
    const password = 'Tr3s-Secret-Password-0042';
    const keyMarker = sshd.privateKey.split('\n')[2]!;
    assert.ok(keyMarker.length > 40);
    const a = await stack.channels.createServerChannel(manager(), {
      kind: 'ftps',
      label: 'FTPS',
      host: 'ftp.client.example',
      username: 'depot',
      secret: password,
    });
    const b = await stack.channels.createServerChannel(manager(), {
      kind: 'sftp',
      label: 'SFTP clé',
      host: 'sftp.client.example',
      username: 'depot',
      authKind: 'key',
      secret: sshd.privateKey,
    });
    const reads = JSON.stringify([
      await stack.channels.list(manager()),
      await stack.channels.get(manager(), a.id),
      b,
    ]);
    assert.ok(
      !reads.includes(password) && !reads.includes(keyMarker),
      'read functions never return a secret',
    );
    assert.ok((await stack.channels.get(manager(), b.id)).hasSecret);

    let stored: string;
    if (ctx.engine === 'sqlite') {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(ctx.handle.db);
      const file = ctx.url.slice('sqlite:'.length);
      stored = [file, `${file}-wal`]
        .filter(existsSync)
        .map((f) => readFileSync(f).toString('latin1'))
        .join('');
      assert.ok(stored.includes('ftp.client.example'), 'the grep reads the real database file');
    } else {
      const rows = await sql<{ row: string }>`
        select t::text as row from channel t
        union all select a::text from audit_log a`.execute(ctx.handle.db);
      stored = rows.rows.map((r) => r.row).join('\n');
      assert.ok(stored.includes('ftp.client.example'));
    }
    assert.ok(!stored.includes(password), 'password not in clear');
    assert.ok(!stored.includes(keyMarker), 'private key not in clear');
    const loaded = await stack.channels.loadTarget(a.id);
    assert.equal(loaded?.target.secret, password, 'the dispatcher gets it back with the master key');
  });

  it('creates one key per entreprise, reveals it only after the password, and rotates it (all audited)', async () => {
    const first = await stack.keys.current(entrepriseId);
    assert.equal(first.version, 1);
    assert.equal(first.key.length, 32);
    assert.equal((await stack.keys.current(entrepriseId)).key.toString('hex'), first.key.toString('hex'));
    const verifyPassword = (p: string) => Promise.resolve(p === 'bon-mot-de-passe');
    await assert.rejects(stack.keys.reveal(manager(), { password: 'faux', verifyPassword }), {
      code: 'PASSWORD_CONFIRMATION_FAILED',
    });
    await assert.rejects(
      stack.keys.reveal(actorFor(entrepriseId, ['CONSULTATION']), {
        password: 'bon-mot-de-passe',
        verifyPassword,
      }),
      { code: 'FORBIDDEN_HABILITATION' },
    );
    const shown = await stack.keys.reveal(manager(), { password: 'bon-mot-de-passe', verifyPassword });
    assert.match(shown.hex, /^[0-9a-f]{64}$/);
    assert.equal(shown.hex, first.key.toString('hex'));
    assert.deepEqual(await stack.keys.rotate(manager()), { version: 2 });
    const second = await stack.keys.current(entrepriseId);
    assert.equal(second.version, 2);
    assert.notEqual(second.key.toString('hex'), first.key.toString('hex'));
    assert.equal(
      (await stack.keys.byVersion(entrepriseId, 1)).key.toString('hex'),
      first.key.toString('hex'),
    );
    assert.notEqual((await stack.keys.current(otherId)).key.toString('hex'), second.key.toString('hex'));
    const actions = (
      await new AuditRepository(ctx.handle.db).listForEntreprise(entrepriseId, { action: 'encryption-key.' })
    ).map((a) => a.action);
    assert.deepEqual(actions.sort(), [
      'encryption-key.created',
      'encryption-key.reveal-refused',
      'encryption-key.revealed',
      'encryption-key.rotated',
    ]);
  });
});
