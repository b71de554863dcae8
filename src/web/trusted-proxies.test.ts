import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../domain/app-error.js';
import { parseTrustedProxies, trustProxyOption } from './trusted-proxies.js';

describe('PUBLIWATT_TRUSTED_PROXIES', () => {
  it('trusts no proxy by default', () => {
    assert.equal(parseTrustedProxies(undefined), false);
    assert.equal(parseTrustedProxies('  '), false);
    assert.equal(parseTrustedProxies('0'), false);
    assert.equal(trustProxyOption(undefined), false);
  });

  it('reads a hop count or a list of addresses, ranges and named ranges', () => {
    assert.equal(parseTrustedProxies('2'), 2);
    const hops = trustProxyOption(2) as (address: string, hop: number) => boolean;
    assert.deepEqual(
      [0, 1, 2].map((hop) => hops('192.0.2.1', hop)),
      [true, true, false],
    );
    assert.deepEqual(parseTrustedProxies('10.0.0.0/8, 192.0.2.7 ,fd00::/8,loopback'), [
      '10.0.0.0/8',
      '192.0.2.7',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses what is not an address, naming the variable and the entry', () => {
    for (const value of ['proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.1,', '10.0.0.0/8/1', '11']) {
      assert.throws(
        () => parseTrustedProxies(value),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'INVALID_CONFIGURATION' &&
          error.message.startsWith('PUBLIWATT_TRUSTED_PROXIES'),
        value,
      );
    }
  });
});
