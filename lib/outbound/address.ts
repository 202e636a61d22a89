import "server-only";
import { isIPv4, isIPv6 } from "node:net";

// SPEC §12: Gatehouse connects only to public unicast addresses. IPv4 is a deny list of every special-purpose
// range that is not the public internet (IANA registry, RFC 6890 and successors); IPv6 is an allow list of
// global unicast 2000::/3 minus its special ranges, with the forms that embed an IPv4 address judged by that
// address. Anything that does not parse is refused.

type V4Range = readonly [string, number, string];

const V4_DENY: readonly V4Range[] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared (CGNAT)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay anycast"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved or broadcast"],
];

// Named so the rule does not depend on the ranges above staying wide enough (most are inside them).
// 168.63.129.16 (Azure's WireServer) is a public address, so only this list refuses it.
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "168.63.129.16", "fd00:ec2::254"]);

const V6_DENY_IN_GLOBAL: ReadonlyArray<readonly [string, number, string]> = [
  ["2001::", 23, "IETF protocol assignments (Teredo, ORCHID, …)"],
  ["2001:db8::", 32, "documentation"],
  ["3fff::", 20, "documentation"],
];

function v4ToInt(address: string): number | null {
  if (!isIPv4(address)) return null;
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The 128 bits of an IPv6 address (a trailing dotted IPv4 part included), or null. */
function v6ToBigInt(address: string): bigint | null {
  if (!isIPv6(address)) return null;
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const n = v4ToInt(dotted);
    if (n === null) return null;
    text = `${text.slice(0, -dotted.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let value = BigInt(0);
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    value = (value << BigInt(16)) | BigInt(parseInt(g, 16));
  }
  return value;
}

function inV6(value: bigint, prefix: string, bits: number): boolean {
  const base = v6ToBigInt(prefix);
  if (base === null) return false;
  const shift = BigInt(128 - bits);
  return value >> shift === base >> shift;
}

function v4Verdict(address: string): string | null {
  const n = v4ToInt(address);
  if (n === null) return "not an address";
  if (METADATA.has(address)) return "cloud metadata";
  for (const [base, bits, label] of V4_DENY) {
    const size = 2 ** (32 - bits);
    if (Math.floor(n / size) === Math.floor((v4ToInt(base) as number) / size)) return label;
  }
  return null;
}

function v6Verdict(raw: string): string | null {
  // A zone (fe80::1%eth0) only ever qualifies a link-local or other scoped address.
  if (raw.includes("%")) return "scoped";
  const value = v6ToBigInt(raw);
  if (value === null) return "not an address";
  const low32 = Number(value & BigInt(0xffffffff));
  const embedded = (label: string) => {
    const inner = v4Verdict(intToV4(low32));
    return inner === null ? null : `${label} of ${inner}`;
  };
  if (inV6(value, "::ffff:0:0", 96)) return embedded("IPv4-mapped");
  if (inV6(value, "::ffff:0:0:0", 96)) return embedded("IPv4-translated");
  if (inV6(value, "64:ff9b::", 96)) return embedded("NAT64");
  if (inV6(value, "2002::", 16)) {
    const inner = v4Verdict(intToV4(Number((value >> BigInt(80)) & BigInt(0xffffffff))));
    return inner === null ? null : `6to4 of ${inner}`;
  }
  for (const prefix of METADATA) if (prefix.includes(":") && v6ToBigInt(prefix) === value) return "cloud metadata";
  // Outside 2000::/3: unspecified, loopback, IPv4-compatible, discard, local-use NAT64, unique-local, link-local,
  // site-local, multicast and everything not yet allocated.
  if (!inV6(value, "2000::", 3)) return "not global unicast";
  for (const [prefix, bits, label] of V6_DENY_IN_GLOBAL) if (inV6(value, prefix, bits)) return label;
  return null;
}

/** Why Gatehouse must not connect to this IP address (for tests and logs, never for people), or null if it may. */
export function forbiddenAddressReason(address: string): string | null {
  if (isIPv4(address)) return v4Verdict(address);
  // A URL's hostname spells IPv6 in brackets.
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIPv6(bare.split("%")[0] ?? "")) return v6Verdict(bare);
  return "not an address";
}

export function isForbiddenAddress(address: string): boolean {
  return forbiddenAddressReason(address) !== null;
}
