import { isIPv6 } from 'node:net';

/**
 * One IPv6 client usually owns a whole /64 and can rotate through it at will, so a per-address limit would be
 * trivial to dodge: IPv6 addresses are grouped by their /64 (RFC 6177 guidance on end-site prefixes).
 */
export function addressKey(ip: string): string {
  // Most clients are IPv4: no colon, so no IPv6 parsing (node's isIPv6 is a long regular expression).
  if (!ip.includes(':')) return ip;
  const plain = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (!isIPv6(plain)) return plain;
  return expandIPv6(plain).slice(0, 4).join(':') + '::/64';
}

function expandIPv6(ip: string): string[] {
  const [head, tail = ''] = ip.split('%')[0].split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
