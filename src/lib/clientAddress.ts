import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address (with `::`, an embedded IPv4 part or a zone). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] ?? '';
  const embedded = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (embedded) {
    const [a = 0, b = 0, c = 0, d = 0] = embedded.slice(1).map(Number);
    text = `${text.slice(0, embedded.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((group) => parseInt(group, 16));
}

/**
 * Whom a per-IP limit counts: an IPv4 address as it is (an IPv4-mapped IPv6 one too), and an IPv6
 * client by its /64, the block one subscriber usually gets: counting single addresses would give
 * each of them 2^64 budgets.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const prefix = ipv6Groups(ip)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':');
  return `${prefix}::/64`;
}

/**
 * An approximate place to show a user (in a security mail, the activity log): the network, not the
 * address — an IPv4 address's /24, an IPv6 address's /48.
 */
export function truncatedAddress(ip: string | undefined): string {
  const key = clientKey(ip);
  if (isIPv4(key)) return `${key.split('.').slice(0, 3).join('.')}.0/24`;
  if (key.endsWith('::/64')) return `${key.split(':').slice(0, 3).join(':')}::/48`;
  return 'unknown';
}
