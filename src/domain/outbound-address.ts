import { isIP } from 'node:net';

/**
 * Which network addresses Publiwatt may connect to for a customer's file server. A channel's host is
 * typed by the customer, so without a rule it could point the server at itself, at the internal network
 * or at the cloud's metadata service and use the channel test to probe them. Addresses that are never a
 * customer's server on the internet are refused: loopback, private, shared (CGNAT), link-local,
 * multicast, broadcast, unspecified, reserved and documentation ranges, and the same addresses written
 * as IPv6 (IPv4-mapped, NAT64, 6to4). Operators open ranges or names for on-premise servers with
 * `PUBLIWATT_CHANNEL_ALLOW`; cloud metadata addresses stay refused whatever the list says.
 */
export type RefusedRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'cloud-metadata';

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export type AddressBytes = Uint8Array;

export interface Cidr {
  bytes: AddressBytes;
  prefix: number;
}

function parseDottedIpv4(text: string): AddressBytes | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    return undefined;
  }
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(text: string): AddressBytes | undefined {
  let rest = text;
  const lastColon = rest.lastIndexOf(':');
  if (rest.includes('.', lastColon)) {
    // A trailing dotted IPv4 (`::ffff:127.0.0.1`) is the last two 16-bit groups.
    const v4 = parseDottedIpv4(rest.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    rest = `${rest.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...tail].every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
  const known = head.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const words = [...head, ...new Array<string>(8 - known).fill('0'), ...tail].map((w) => parseInt(w, 16));
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

/** A strictly written IPv4 or IPv6 address (what `net.isIP` accepts, without a zone), as bytes. */
export function parseIp(text: string): AddressBytes | undefined {
  const family = isIP(text);
  if (family === 4) return parseDottedIpv4(text);
  if (family === 6 && !text.includes('%')) return parseIpv6(text);
  return undefined;
}

/**
 * An IPv4 address in any form the system resolver reads as a number (inet_aton): `127.1`,
 * `2130706433`, `0x7f.1`, `0177.0.0.1`. Such a "host name" never reaches DNS: it is this address.
 */
export function numericIpv4(text: string): AddressBytes | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]+$/i.test(part)) value = parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = parseInt(part, 8);
    else if (/^[1-9]\d*$/.test(part)) value = Number(part);
    else return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined;
  const bytes = new Uint8Array(4);
  values.forEach((v, i) => (bytes[i] = v));
  for (let i = 3, rest = last; i >= values.length; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return bytes;
}

/** `10.20.0.0/16`, `fd12::/48`, or a single address (`/32`, `/128`); host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, extra] = text.split('/');
  const bytes = parseIp(address);
  if (!bytes || extra !== undefined) return undefined;
  const bits = bytes.length * 8;
  if (prefixText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const masked = Uint8Array.from(bytes, (b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return { bytes: masked, prefix };
}

export function inCidr(address: AddressBytes, cidr: Cidr): boolean {
  if (address.length !== cidr.bytes.length) return false;
  for (let i = 0; i * 8 < cidr.prefix; i++) {
    const keep = Math.min(8, cidr.prefix - 8 * i);
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((address[i]! & mask) !== cidr.bytes[i]) return false;
  }
  return true;
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad range ${text}`);
  return parsed;
}

/** First match wins. */
const IPV4_REFUSED: ReadonlyArray<[Cidr, RefusedRange]> = [
  [cidr('255.255.255.255/32'), 'broadcast'],
  [cidr('0.0.0.0/8'), 'unspecified'],
  [cidr('10.0.0.0/8'), 'private'],
  [cidr('100.64.0.0/10'), 'shared'],
  [cidr('127.0.0.0/8'), 'loopback'],
  [cidr('169.254.0.0/16'), 'link-local'],
  [cidr('172.16.0.0/12'), 'private'],
  [cidr('192.0.0.0/24'), 'reserved'],
  [cidr('192.0.2.0/24'), 'documentation'],
  [cidr('192.88.99.0/24'), 'reserved'],
  [cidr('192.168.0.0/16'), 'private'],
  [cidr('198.18.0.0/15'), 'reserved'],
  [cidr('198.51.100.0/24'), 'documentation'],
  [cidr('203.0.113.0/24'), 'documentation'],
  [cidr('224.0.0.0/4'), 'multicast'],
  [cidr('240.0.0.0/4'), 'reserved'],
];

const IPV6_REFUSED: ReadonlyArray<[Cidr, RefusedRange]> = [
  [cidr('::/128'), 'unspecified'],
  [cidr('::1/128'), 'loopback'],
  // IPv4-compatible (deprecated): never a real server.
  [cidr('::/96'), 'reserved'],
  [cidr('64:ff9b:1::/48'), 'reserved'],
  [cidr('100::/64'), 'reserved'],
  [cidr('2001:db8::/32'), 'documentation'],
  [cidr('fc00::/7'), 'private'],
  [cidr('fe80::/10'), 'link-local'],
  [cidr('fec0::/10'), 'private'],
  [cidr('ff00::/8'), 'multicast'],
];

/** IPv6 forms that carry an IPv4 address a connection ends up at: [range, offset of the IPv4 bytes]. */
const IPV6_EMBEDDING: ReadonlyArray<[Cidr, number]> = [
  [cidr('::ffff:0:0/96'), 12], // IPv4-mapped
  [cidr('::ffff:0:0:0/96'), 12], // IPv4-translated
  [cidr('64:ff9b::/96'), 12], // NAT64
  [cidr('2002::/16'), 2], // 6to4
];

const CLOUD_METADATA: readonly AddressBytes[] = [
  '169.254.169.254', // AWS, Azure, GCP, Oracle, OpenStack…
  '169.254.170.2', // AWS container credentials
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud (classic)
  'fd00:ec2::254', // AWS over IPv6
].map((a) => parseIp(a)!);

/** The IPv4 address an IPv6 address stands for (mapped, translated, NAT64, 6to4), if any. */
export function embeddedIpv4(address: AddressBytes): AddressBytes | undefined {
  if (address.length !== 16) return undefined;
  for (const [range, offset] of IPV6_EMBEDDING) {
    if (inCidr(address, range)) return address.slice(offset, offset + 4);
  }
  return undefined;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`): the same host, dual-stack. */
export function mappedIpv4(address: AddressBytes): AddressBytes | undefined {
  return address.length === 16 && inCidr(address, IPV6_EMBEDDING[0]![0]) ? address.slice(12, 16) : undefined;
}

export function isCloudMetadata(address: AddressBytes): boolean {
  const v4 = embeddedIpv4(address);
  if (v4) return isCloudMetadata(v4);
  return CLOUD_METADATA.some((m) => m.length === address.length && m.every((b, i) => b === address[i]));
}

/** Why a customer server may not be at this address, or undefined when it may. */
export function refusedRangeOf(address: AddressBytes): RefusedRange | undefined {
  if (isCloudMetadata(address)) return 'cloud-metadata';
  const v4 = embeddedIpv4(address);
  if (v4) return refusedRangeOf(v4);
  const table = address.length === 4 ? IPV4_REFUSED : IPV6_REFUSED;
  return table.find(([range]) => inCidr(address, range))?.[1];
}

/** Names that always mean this machine (RFC 6761), whatever DNS says. */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
