/**
 * The key under which limits count a client: its IPv4 address, or the /64
 * prefix of its IPv6 address, since one IPv6 host usually has a whole /64 to
 * pick addresses from.
 *
 * @module
 */

/**
 * Returns the counting key of a client address as Node reports it: IPv4 as
 * is (also when mapped into IPv6, "::ffff:192.0.2.1"), IPv6 as its first four
 * groups followed by "::/64". Anything else is returned unchanged.
 */
export function clientKey(address: string): string {
  const plain = plainAddress(address);
  if (!plain.includes(":")) return plain;
  const groups = expandIpv6(plain);
  return groups === undefined ? address : `${groups.slice(0, 4).join(":")}::/64`;
}

/**
 * A client address as Node reports it, made plain: an IPv4 address mapped
 * into IPv6 ("::ffff:192.0.2.1") as the IPv4 address, an IPv6 address
 * without its zone ("%eth0").
 */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address.split("%")[0];
}

/** The eight groups of an IPv6 address, without leading zeros; undefined when it is not one. */
function expandIpv6(address: string): string[] | undefined {
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const part = (text: string) => text === "" ? [] : text.split(":");
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < (halves.length === 2 ? 1 : 0) || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}
