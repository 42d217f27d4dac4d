import proxyAddr from '@fastify/proxy-addr';

export type TrustFn = (addr: string, hop: number) => boolean;

/** TRUST_PROXY entries are addresses, CIDRs or the proxy-addr names (loopback, linklocal, uniquelocal). */
export function compileTrust(entries: string[]): TrustFn {
  if (entries.length === 0) return () => false;
  return proxyAddr.compile(entries);
}

/** IPv4 peers arrive as `::ffff:1.2.3.4` on dual-stack sockets; upstreams and logs want the plain form. */
export function plainAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
