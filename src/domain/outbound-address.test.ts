import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { describe, it } from 'node:test';
import {
  embeddedIpv4,
  inCidr,
  isLoopbackName,
  numericIpv4,
  parseCidr,
  parseIp,
  refusedRangeOf,
  type RefusedRange,
} from './outbound-address.js';

const text = (bytes: Uint8Array | undefined) => (bytes ? Array.from(bytes).join('.') : undefined);

function range(address: string): RefusedRange | undefined {
  const bytes = parseIp(address);
  assert.ok(bytes, `${address} parses`);
  return refusedRangeOf(bytes);
}

describe('outbound addresses', () => {
  it('reads numeric host names as the system resolver does', async () => {
    for (const host of ['127.1', '2130706433', '0x7f.1', '0177.0.0.1', '0x7f000001', '10.1', '1.2.3', '0']) {
      const [system] = await lookup(host, { all: true });
      assert.equal(text(numericIpv4(host)), system?.address, host);
    }
    for (const host of ['localhost', '127.0.0.1.', '08.1', '1.2.3.4.5', '256.1.1.1', 'x7f.1', '0x']) {
      assert.equal(numericIpv4(host), undefined, host);
    }
  });

  it('parses IPv6 in its written forms, with an IPv4 tail', () => {
    assert.deepEqual(parseIp('::ffff:127.0.0.1'), parseIp('::ffff:7f00:1'));
    assert.deepEqual(parseIp('fd00:ec2::254'), parseIp('fd00:0ec2:0:0:0:0:0:0254'));
    assert.equal(text(embeddedIpv4(parseIp('::ffff:10.0.0.1')!)), '10.0.0.1');
    assert.equal(text(embeddedIpv4(parseIp('2002:7f00:1::')!)), '127.0.0.1');
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '::fffff', '127.1', 'fe80::1%eth0', '[::1]']) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it('clears host bits of ranges and matches by prefix', () => {
    const wide = parseCidr('10.20.3.4/16')!;
    assert.equal(text(wide.bytes), '10.20.0.0');
    assert.ok(inCidr(parseIp('10.20.255.1')!, wide));
    assert.ok(!inCidr(parseIp('10.21.0.1')!, wide));
    assert.ok(!inCidr(parseIp('::ffff:10.20.0.1')!, wide), 'families are not mixed here');
    assert.ok(inCidr(parseIp('fd12:3456::9')!, parseCidr('fd12:3456::/32')!));
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', 'a/8', '10.0.0.0/8/1']) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it('refuses what is never a customer server on the internet', () => {
    const refused: Array<[string, RefusedRange]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'shared'],
      ['100.127.255.254', 'shared'],
      ['169.254.1.1', 'link-local'],
      ['169.254.169.254', 'cloud-metadata'],
      ['100.100.100.200', 'cloud-metadata'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['192.0.2.10', 'documentation'],
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:169.254.169.254', 'cloud-metadata'],
      ['::127.0.0.1', 'reserved'],
      ['64:ff9b::a00:1', 'private'],
      ['2002:c0a8:101::1', 'private'],
      ['fd00::1', 'private'],
      ['fc00::1', 'private'],
      ['fd00:ec2::254', 'cloud-metadata'],
      ['fe80::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'documentation'],
    ];
    for (const [address, expected] of refused) assert.equal(range(address), expected, address);
    for (const address of [
      '8.8.8.8',
      '100.128.0.1',
      '172.32.0.1',
      '203.0.114.1',
      '2a00:1450:4007::1',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      '2002:808:808::1',
    ]) {
      assert.equal(range(address), undefined, address);
    }
  });

  it('knows the names that always mean this machine', () => {
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'db.localhost'])
      assert.ok(isLoopbackName(name));
    assert.ok(!isLoopbackName('localhost.example'));
  });
});
