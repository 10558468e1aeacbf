/**
 * The SSRF guard: a webhook URL is the customer's, so delivery must not become a way to reach
 * our own network. Loopback, private, shared (CGNAT), link-local, multicast, reserved and
 * unspecified addresses are refused, checked on the address the socket actually connected to
 * (after DNS, so a name that resolves, or re-resolves, to such an address fails too). Lifted
 * only by WEBHOOK_ALLOW_PRIVATE_NETWORKS=true (local development and tests).
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** Whether delivering to `address` (an IP literal) is refused. Anything that is not an IP is refused too. */
export function isForbiddenAddress(address: string): boolean {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1]!;
  const family = isIP(a);
  if (family === 4) return blocked.check(a, 'ipv4');
  if (family === 6) return blocked.check(a, 'ipv6');
  return true;
}

export class ForbiddenAddressError extends Error {
  constructor(address: string) {
    super(`refused to connect to ${address}: a loopback, private, link-local, multicast or unspecified address (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)`);
    this.name = 'ForbiddenAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s) agents that fails when a name resolves to a forbidden address, so
 * the connection is never even attempted. (The socket's remote address is checked again on
 * connect: see send.ts.)
 */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) return callback(Object.assign(new ForbiddenAddressError(bad.address), { code: 'EFORBIDDEN' }), []);
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}
