import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device tokens: after a successful login, the browser receives `<id>.<mac>`, the MAC binding a random
 * id to the e-mail address that logged in. A later login to the same address with that token is
 * counted under the device (`device:<id>`), apart from the strangers' count of the address.
 * Stateless: the MAC key is derived from the master key.
 */
export class DeviceTokens {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = createHmac('sha256', masterKey).update('publiwatt device token').digest();
  }

  issue(email: string): string {
    const id = randomBytes(16).toString('base64url');
    return `${id}.${this.mac(email, id).toString('base64url')}`;
  }

  /** The token's id when it was issued for this address, else undefined. */
  recognise(token: string, email: string): string | undefined {
    const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return undefined;
    const [, id, mac] = match as unknown as [string, string, string];
    const expected = this.mac(email, id);
    const given = Buffer.from(mac, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  private mac(email: string, id: string): Buffer {
    return createHmac('sha256', this.key).update(`${email}\n${id}`).digest();
  }
}
