import { lookup as dnsLookup } from 'node:dns/promises';
import { ChannelAllowList } from '../domain/channel-allow-list.js';
import {
  isCloudMetadata,
  isLoopbackName,
  numericIpv4,
  parseIp,
  refusedRangeOf,
  type RefusedRange,
} from '../domain/outbound-address.js';
import { deliveryFailure, rawMessage } from './delivery-failure.js';

/** Every address a name resolves to, in the resolver's order (`dns.lookup` with `all`). */
export type LookupAll = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** The address a transport connects to, checked: never the name again, so DNS cannot change it. */
export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

const systemLookup: LookupAll = (host) => dnsLookup(host, { all: true, verbatim: true });

/** `[::1]` → `::1`: brackets are how URLs write IPv6, not part of the address. */
function unbracketed(host: string): string {
  const trimmed = host.trim();
  const match = /^\[([^\]]*)\]$/.exec(trimmed);
  return match ? match[1]! : trimmed;
}

/**
 * Where Publiwatt may connect for a customer's channel (rules in `domain/outbound-address.ts`). The
 * check that counts is made when connecting: the host is resolved once, the way the system resolver
 * reads it (so `127.1`, `2130706433` or `0x7f.1` are the numbers they are), every address is checked,
 * and the transport connects to the checked address itself. A name that resolves to any refused address
 * is refused: a public answer mixed with a private one is not a customer server to trust.
 */
export class OutboundPolicy {
  private readonly allow: ChannelAllowList;
  private readonly lookup: LookupAll;

  constructor(options: { allow?: readonly string[]; lookup?: LookupAll } = {}) {
    this.allow = new ChannelAllowList(options.allow);
    this.lookup = options.lookup ?? systemLookup;
  }

  private refusal(host: string, address: Uint8Array): RefusedRange | undefined {
    // The metadata service hands out the machine's credentials: no allow-list entry opens it.
    if (isCloudMetadata(address)) return 'cloud-metadata';
    const range = refusedRangeOf(address);
    if (range === undefined || this.allow.allowsName(host) || this.allow.allowsAddress(address)) {
      return undefined;
    }
    return range;
  }

  /**
   * Without any network access, for channel creation and edits: the refused range a host written as an
   * address (in any numeric form) or as `localhost` falls in, or undefined. Names are checked when
   * connecting.
   */
  refusedLiteral(host: string): RefusedRange | undefined {
    const name = unbracketed(host);
    const address = parseIp(name) ?? numericIpv4(name);
    if (address) return this.refusal(name, address);
    if (isLoopbackName(name) && !this.allow.allowsName(name)) return 'loopback';
    return undefined;
  }

  /**
   * Resolves `host` and checks every address; throws a `DELIVERY_FAILED` AppError of category
   * `not-found` or `address-refused`, whose detail (for the log) names the address and its range.
   */
  async resolve(host: string): Promise<CheckedAddress> {
    const name = unbracketed(host);
    let answers: Array<{ address: string; family: number }>;
    try {
      answers = await this.lookup(name);
    } catch (error) {
      throw deliveryFailure('not-found', `cannot resolve ${name}: ${rawMessage(error)}`, error);
    }
    if (answers.length === 0) throw deliveryFailure('not-found', `${name} resolves to no address`);
    for (const answer of answers) {
      const address = parseIp(answer.address);
      const range = address ? this.refusal(name, address) : 'reserved';
      if (range) {
        throw deliveryFailure(
          'address-refused',
          `${name} resolves to ${answer.address} (${range}): refused for customer servers, see PUBLIWATT_CHANNEL_ALLOW`,
        );
      }
    }
    const first = answers[0]!;
    return { address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
