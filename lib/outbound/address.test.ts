// The §12 address rules on their own: every class of address that is not the public internet, in every spelling.
import { describe, expect, it } from "vitest";
import { forbiddenAddressReason, isForbiddenAddress } from "./address";

describe("forbiddenAddressReason", () => {
  it.each([
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["100.127.255.255", "shared (CGNAT)"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["169.254.0.1", "link-local"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["192.0.2.1", "documentation"],
    ["192.88.99.1", "6to4 relay anycast"],
    ["192.168.1.1", "private"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["198.51.100.1", "documentation"],
    ["203.0.113.1", "documentation"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved or broadcast"],
    ["255.255.255.255", "reserved or broadcast"],
    // Cloud metadata: AWS/GCP/Azure, ECS task metadata, Alibaba, Oracle, AWS over IPv6.
    ["169.254.169.254", "cloud metadata"],
    ["169.254.170.2", "cloud metadata"],
    ["100.100.100.200", "cloud metadata"],
    ["192.0.0.192", "cloud metadata"],
    ["168.63.129.16", "cloud metadata"],
    ["fd00:ec2::254", "cloud metadata"],
    ["FD00:EC2:0:0:0:0:0:254", "cloud metadata"],
  ])("refuses %s (%s)", (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    "::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "[::1]",
    "::127.0.0.1", // IPv4-compatible (deprecated)
    "100::1", // discard-only
    "64:ff9b:1::1", // local-use NAT64: the embedded address is not knowable
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "febf:ffff::1",
    "fec0::1", // site-local (deprecated)
    "ff02::1",
    "ff0e::1",
    "2001::1", // Teredo
    "2001:db8::1",
    "3fff::1",
    "5f00::1", // SRv6 SIDs
    "4000::1", // not allocated
    "e000::1",
  ])("refuses the IPv6 address %s", (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    ["::ffff:127.0.0.1", "IPv4-mapped of loopback"],
    ["::ffff:7f00:1", "IPv4-mapped of loopback"],
    ["::FFFF:10.0.0.1", "IPv4-mapped of private"],
    ["::ffff:a9fe:a9fe", "IPv4-mapped of cloud metadata"],
    ["0:0:0:0:0:ffff:192.168.0.1", "IPv4-mapped of private"],
    ["::ffff:0:10.0.0.1", "IPv4-translated of private"],
    ["64:ff9b::10.0.0.1", "NAT64 of private"],
    ["64:ff9b::a9fe:a9fe", "NAT64 of cloud metadata"],
    ["64:ff9b::7f00:1", "NAT64 of loopback"],
    ["2002:7f00:1::1", "6to4 of loopback"],
    ["2002:a00:1::", "6to4 of private"],
  ])("judges %s by the IPv4 address it embeds (%s)", (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    "1.1.1.1",
    "8.8.8.8",
    "9.255.255.255",
    "11.0.0.1",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "169.255.0.1",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "192.167.255.255",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:82b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8", // DNS64 on an IPv6-only network synthesises these for public hosts
    "2002:808:808::1",
  ])("allows the public address %s", (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });

  it.each(["", "localhost", "example.com", "1.2.3", "256.0.0.1", "01.2.3.4", "::ffff:999.0.0.1", "1::2::3", "[1.2.3.4]", "12345::"])(
    "refuses what is not an IP address: %j",
    (address) => {
      expect(isForbiddenAddress(address)).toBe(true);
    },
  );
});
