import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { isLocalPath, localPathOr, sameSiteReferer } from './local-redirect.js';

function requestFrom(referer: string | undefined, host = 'portail.example'): FastifyRequest {
  return { headers: referer === undefined ? {} : { referer }, host } as unknown as FastifyRequest;
}

describe('local redirects', () => {
  it('accepts the paths of this site', () => {
    for (const path of ['/', '/portail', '/portail/flux?recherche=1&siren=356000000#r', '/a/./b/../c'])
      assert.equal(isLocalPath(path), true, path);
  });

  it('refuses anything a browser would take to another host, or read otherwise', () => {
    for (const target of [
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example',
      'http:evil.example',
      'javascript:alert(1)',
      'evil.example',
      '',
      '/\t/evil.example',
      '/\n/evil.example',
      ' //evil.example',
      '/ /evil.example',
    ])
      assert.equal(isLocalPath(target), false, JSON.stringify(target));
    assert.equal(localPathOr('//evil.example/x', '/portail'), '/portail');
    assert.equal(localPathOr(undefined, '/portail'), '/portail');
    assert.equal(localPathOr('/portail/flux', '/portail'), '/portail/flux');
  });

  it('takes a Referer only from a page of the same host', () => {
    assert.equal(
      sameSiteReferer(requestFrom('https://portail.example/portail/flux?page=2'))?.search,
      '?page=2',
    );
    for (const referer of [
      undefined,
      '',
      '/portail/flux',
      '//evil.example/portail/flux',
      '/\\evil.example',
      'https://evil.example/portail/flux',
      'https://portail.example.evil.example/portail/flux',
      'https://portail.example//evil.example/x',
      'https://portail.example/\\evil.example/x',
      'javascript:alert(1)//portail.example/x',
      'not a url',
    ])
      assert.equal(sameSiteReferer(requestFrom(referer)), undefined, JSON.stringify(referer));
  });
});
