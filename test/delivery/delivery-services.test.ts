import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { simpleParser } from 'mailparser';
import { createDeliveryServices } from '../../src/delivery/delivery-services.js';
import { describeEachEngine } from '../support/databases.js';
import { actorFor, MemoryFileSource, seedDeliveryEntreprise } from '../support/delivery-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';
import { opensslDecrypt } from '../support/openssl.js';
import { zipFixture } from '../support/zip-fixture.js';

const NOW = new Date('2026-06-01T08:00:00.000Z');

describeEachEngine('delivery services wired from the configuration (no SMTP URL: outbox)', (ctx) => {
  it('confirms an address and delivers an encrypted attachment through .eml files in <data dir>/outbox', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'publiwatt-data-'));
    const services = createDeliveryServices({
      config: { smtpUrl: undefined, dataDir, masterKey: Buffer.alloc(32, 9) },
      handle: ctx.handle,
      clock: new FakeClock(NOW),
      portalUrl: 'https://portail.example/',
    });
    const entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Outbox SA', NOW);
    const actor = actorFor(entrepriseId);
    const channel = await services.channels.createEmailChannel(actor, {
      label: 'Flux',
      email: 'flux@outbox.example',
    });
    const outbox = path.join(dataDir, 'outbox');
    const [confirmation] = readdirSync(outbox);
    const eml = await simpleParser(readFileSync(path.join(outbox, confirmation!)));
    assert.equal(eml.to && 'text' in eml.to ? eml.to.text : '', 'flux@outbox.example');
    const token = /https:\/\/portail\.example\/portail\/canaux\/confirmation\?jeton=([A-Za-z0-9_-]+)/.exec(
      eml.text ?? '',
    )![1]!;
    await services.channels.confirmEmail(token);

    const files = new MemoryFileSource();
    const zip = await zipFixture();
    files.add(7, 'ENEDIS_R64B_00007.zip', zip);
    await services.deliveries.resend(actor, { publicationId: 7, channelId: channel.id });
    assert.equal((await services.dispatcher(files).runDue()).delivered, 1);
    const delivered = readdirSync(outbox).filter((f) => f !== confirmation);
    assert.equal(delivered.length, 1);
    const message = await simpleParser(readFileSync(path.join(outbox, delivered[0]!)));
    assert.equal(message.attachments[0]?.filename, 'ENEDIS_R64B_00007.zip');
    const attachment = message.attachments[0]!.content;
    const key = await services.keys.current(entrepriseId);
    assert.ok(opensslDecrypt(attachment, key.key.toString('hex')).equals(zip));
  });
});
