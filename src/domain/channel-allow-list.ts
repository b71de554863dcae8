import { AppError } from './app-error.js';
import {
  inCidr,
  mappedIpv4,
  numericIpv4,
  parseCidr,
  type AddressBytes,
  type Cidr,
} from './outbound-address.js';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function normalName(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

function isHostName(name: string): boolean {
  const labels = name.split('.');
  return (
    name.length <= 253 &&
    labels.every((label) => LABEL.test(label)) &&
    !/^\d+$/.test(labels.at(-1)!) &&
    numericIpv4(name) === undefined
  );
}

/**
 * `PUBLIWATT_CHANNEL_ALLOW`: comma-separated CIDR ranges, addresses and host names an operator opens to
 * customer channels despite the refused ranges (on-premise servers), e.g.
 * `10.20.0.0/16,sftp.intranet.example`. Unset or empty: nothing beyond public addresses. Returns the
 * entries normalised (ranges with host bits cleared, names in lower case); fails naming the variable.
 */
export function parseChannelAllowList(
  value: string | undefined,
  variable = 'PUBLIWATT_CHANNEL_ALLOW',
): string[] {
  const text = value?.trim() ?? '';
  if (text === '') return [];
  return text.split(',').map((raw) => {
    const entry = raw.trim();
    if (entry === '') {
      throw new AppError('INVALID_CONFIGURATION', `${variable}: "${text}" has an empty entry`, {
        variable,
        reason: 'empty entry',
      });
    }
    const range = parseCidr(entry);
    if (range) return `${formatAddress(range.bytes)}/${range.prefix}`;
    const name = normalName(entry);
    if (/[:/]/.test(entry) || !isHostName(name)) {
      const reason = `"${entry}" is neither a CIDR range (10.20.0.0/16, fd12:3456::/48), an IP address written in full nor a host name`;
      throw new AppError('INVALID_CONFIGURATION', `${variable}: ${reason}`, { variable, reason });
    }
    return name;
  });
}

function formatAddress(bytes: AddressBytes): string {
  if (bytes.length === 4) return bytes.join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The operator's allow-list, matched against a channel's host name and its resolved addresses. */
export class ChannelAllowList {
  private readonly names = new Set<string>();
  private readonly ranges: Cidr[] = [];

  /** `entries` as `parseChannelAllowList` returns them. */
  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const range = parseCidr(entry);
      if (range) this.ranges.push(range);
      else this.names.add(normalName(entry));
    }
  }

  /** The host, as the customer typed it, is one of the listed names. */
  allowsName(host: string): boolean {
    return this.names.has(normalName(host));
  }

  /** The address (or the IPv4 address an IPv4-mapped one stands for) is in a listed range. */
  allowsAddress(address: AddressBytes): boolean {
    const v4 = mappedIpv4(address);
    return this.ranges.some((range) => inCidr(address, range) || (v4 !== undefined && inCidr(v4, range)));
  }
}
