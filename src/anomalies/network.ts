import ipaddr from 'ipaddr.js';

/**
 * The network a client address belongs to, as API.md's `new_network` counts them: an IPv4 /24
 * or an IPv6 /48, written as CIDR. IPv4-mapped IPv6 addresses count as their IPv4 address.
 * Undefined for a missing or unparseable address.
 */
export function networkOf(ip: string | undefined): string | undefined {
  if (!ip || !ipaddr.isValid(ip)) return undefined;
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
  if (address.kind() === 'ipv4') {
    const [a, b, c] = (address as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (address as ipaddr.IPv6).parts.slice(0, 3);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0, 0]).toString()}/48`;
}
