import ipaddr from 'ipaddr.js';

/**
 * The address a request came from, or undefined for anything else (a unix socket, garbage). An
 * IPv4-mapped IPv6 address is the IPv4 client it carries. IPv4 only in its four-part dotted form,
 * the one Node reports, so that "127.1" stays what it was: not an address.
 */
function parsed(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) return ipaddr.IPv4.parse(ip);
  if (!ipaddr.IPv6.isValid(ip)) return undefined;
  const address = ipaddr.IPv6.parse(ip);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

/** The first `groups` 16-bit groups of an IPv6 address, in hex without leading zeros. */
function leadingGroups(address: ipaddr.IPv6, groups: number): string {
  return address.parts
    .slice(0, groups)
    .map((group) => group.toString(16))
    .join(':');
}

/**
 * Whom a per-IP limit counts: an IPv4 address as it is (an IPv4-mapped IPv6 one too), and an IPv6
 * client by its /64, the block one subscriber usually gets: counting single addresses would give
 * each of them 2^64 budgets.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const address = parsed(ip);
  if (!address) return ip;
  return address instanceof ipaddr.IPv4 ? address.toString() : `${leadingGroups(address, 4)}::/64`;
}

/**
 * An approximate place to show a user (in a security mail, the activity log): the network, not the
 * address — an IPv4 address's /24, an IPv6 address's /48.
 */
export function truncatedAddress(ip: string | undefined): string {
  const address = ip ? parsed(ip) : undefined;
  if (!address) return 'unknown';
  if (address instanceof ipaddr.IPv4) return `${address.octets.slice(0, 3).join('.')}.0/24`;
  return `${leadingGroups(address, 3)}::/48`;
}
