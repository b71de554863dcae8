import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { OutboxMailer } from './outbox.mailer.js';

describe('outbox mailer', () => {
  it('writes each mail as a complete .eml file, nothing half-written', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'publiwatt-outbox-')), 'outbox');
    const mailer = new OutboxMailer(dir, { now: () => new Date('2026-03-02T09:00:00Z') });
    await mailer.send({
      to: 'marie@example.fr',
      subject: 'Votre accès à Publiwatt',
      text: 'Bonjour Marie, voici votre lien.',
      attachments: [{ filename: 'a.txt', content: 'pièce jointe' }],
    });
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^20260302T090000000Z-[0-9a-f]{8}\.eml$/);
    const parsed = await simpleParser(readFileSync(path.join(dir, files[0]!)));
    assert.equal(parsed.subject, 'Votre accès à Publiwatt');
    assert.match(parsed.text ?? '', /Bonjour Marie/);
    assert.equal(parsed.attachments[0]?.filename, 'a.txt');
    assert.equal(parsed.date?.toISOString(), '2026-03-02T09:00:00.000Z');
  });
});
