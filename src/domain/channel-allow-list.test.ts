import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from './app-error.js';
import { ChannelAllowList, parseChannelAllowList } from './channel-allow-list.js';
import { parseIp } from './outbound-address.js';

describe('channel allow-list (PUBLIWATT_CHANNEL_ALLOW)', () => {
  it('reads ranges, addresses and host names, normalised', () => {
    assert.deepEqual(parseChannelAllowList(undefined), []);
    assert.deepEqual(parseChannelAllowList('  '), []);
    assert.deepEqual(
      parseChannelAllowList(' 10.20.0.0/16 , SFTP.Intranet.Example., 192.168.4.7, fd12:3456::/48,depot '),
      ['10.20.0.0/16', 'sftp.intranet.example', '192.168.4.7/32', 'fd12:3456::/48', 'depot'],
    );
    assert.deepEqual(parseChannelAllowList('10.20.3.4/16'), ['10.20.0.0/16']);
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of [
      '10.20.0.0/33',
      '10.20.0.0/16,',
      '127.1',
      '2130706433',
      '*.intranet.example',
      'sftp_intranet',
      'https://sftp.example',
      'sftp.example:22',
      '1.2.3.4.5',
    ]) {
      assert.throws(
        () => parseChannelAllowList(value),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'INVALID_CONFIGURATION' &&
          error.detail.startsWith('PUBLIWATT_CHANNEL_ALLOW: '),
        value,
      );
    }
  });

  it('matches a listed name, and addresses in a listed range (IPv4-mapped too)', () => {
    const list = new ChannelAllowList(parseChannelAllowList('10.20.0.0/16,sftp.intranet.example'));
    assert.ok(list.allowsName('SFTP.intranet.example.'));
    assert.ok(!list.allowsName('other.intranet.example'));
    assert.ok(list.allowsAddress(parseIp('10.20.9.9')!));
    assert.ok(list.allowsAddress(parseIp('::ffff:10.20.9.9')!));
    assert.ok(!list.allowsAddress(parseIp('10.21.0.1')!));
  });
});
