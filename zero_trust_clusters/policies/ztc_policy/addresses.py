"""Address-set coverage: what a set of CIDRs (IPv4 and IPv6) covers, taken together.

A list such as the 256 /8s, `0.0.0.0/1` + `128.0.0.0/1`, or `::ffff:0.0.0.0/96` admits the
whole Internet although no single entry is `0.0.0.0/0`, so sets are judged by their union.
IPv4-mapped IPv6 (`::ffff:0:0/96`, RFC 4291 2.5.5.2) and the NAT64 well-known prefix
(`64:ff9b::/96`, RFC 6052) reach IPv4 addresses, so what they cover counts as IPv4.

Standard library only: imported by the spec (zero_trust_clusters/components/spec.py) and by the policy pack,
which runs in its own virtualenv without the components.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes whose last 32 bits are an IPv4 address.
_V4_EMBEDDING_PREFIXES = (
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped (RFC 4291)
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052)
)

# Addresses that are not on the public Internet (IANA IPv4/IPv6 Special-Purpose Address
# Registries, https://www.iana.org/assignments/iana-ipv4-special-registry and
# https://www.iana.org/assignments/iana-ipv6-special-registry, "Globally Reachable: False"),
# plus multicast and the reserved 240/4. Everything else counts as public.
NON_PUBLIC_V4: tuple[ipaddress.IPv4Network, ...] = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)
# Only 2000::/3 is allocated global unicast; inside it the documentation, benchmarking and
# ORCHID ranges are not globally reachable.
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
NON_PUBLIC_V6_IN_GLOBAL: tuple[ipaddress.IPv6Network, ...] = tuple(
    ipaddress.IPv6Network(n) for n in ("2001:db8::/32", "2001:2::/48", "2001:10::/28")
)


def parse(value: str) -> Network:
    """A CIDR (host bits must be zero); raises ValueError with the reason otherwise."""
    return ipaddress.ip_network(value.strip(), strict=True)


def _as_v4(net: ipaddress.IPv6Network) -> ipaddress.IPv4Network | None:
    """The IPv4 range an IPv6 range reaches through an embedding prefix, if any."""
    for prefix in _V4_EMBEDDING_PREFIXES:
        if net.subnet_of(prefix):
            start = int(net.network_address) & 0xFFFFFFFF
            return ipaddress.IPv4Network((start, net.prefixlen - 96))
        if prefix.subnet_of(net):  # e.g. ::/0 or ::ffff:0:0/95 holds the whole mapped space
            return ipaddress.IPv4Network("0.0.0.0/0")
    return None


def normalize(networks: Iterable[Network | str]) -> tuple[list[Network], list[Network]]:
    """(IPv4, IPv6) networks, with IPv4-reaching IPv6 ranges also counted as IPv4."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for item in networks:
        net = parse(item) if isinstance(item, str) else item
        if isinstance(net, ipaddress.IPv4Network):
            v4.append(net)
            continue
        v6.append(net)
        embedded = _as_v4(net)
        if embedded is not None:
            v4.append(embedded)
    return list(ipaddress.collapse_addresses(v4)), list(ipaddress.collapse_addresses(v6))


def _intervals(networks: Iterable[Network]) -> list[tuple[int, int]]:
    """Merged [first, last] integer intervals of networks of one IP version."""
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in networks)
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _overlap_size(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    total = 0
    for first_a, last_a in a:
        for first_b, last_b in b:
            low, high = max(first_a, first_b), min(last_a, last_b)
            if low <= high:
                total += high - low + 1
    return total


def covers(networks: Iterable[Network | str], target: Network | str) -> bool:
    """True when the union of `networks` holds every address of `target`."""
    goal = parse(target) if isinstance(target, str) else target
    v4, v6 = normalize(networks)
    if isinstance(goal, ipaddress.IPv6Network):
        embedded = _as_v4(goal)
        if embedded is not None and goal.prefixlen >= 96:
            goal = embedded
    pool = v4 if isinstance(goal, ipaddress.IPv4Network) else v6
    first, last = int(goal.network_address), int(goal.broadcast_address)
    return any(lo <= first and last <= hi for lo, hi in _intervals(pool))


@dataclass(frozen=True)
class Coverage:
    """How many public addresses a set reaches, per IP version, and whether it is all of them."""

    public_v4: int
    public_v6: int
    all_public_v4: bool
    all_public_v6: bool

    @property
    def internet(self) -> bool:
        return self.all_public_v4 or self.all_public_v6


def _complement(holes: Iterable[Network], within: tuple[int, int]) -> list[tuple[int, int]]:
    """The parts of `within` outside `holes` (merged intervals)."""
    out, cursor = [], within[0]
    for lo, hi in _intervals(holes):
        if hi < within[0] or lo > within[1]:
            continue
        if lo > cursor:
            out.append((cursor, lo - 1))
        cursor = max(cursor, hi + 1)
    if cursor <= within[1]:
        out.append((cursor, within[1]))
    return out


_PUBLIC_V4 = _complement(NON_PUBLIC_V4, (0, 2**32 - 1))
_PUBLIC_V6 = _complement(
    NON_PUBLIC_V6_IN_GLOBAL,
    (int(GLOBAL_UNICAST_V6.network_address), int(GLOBAL_UNICAST_V6.broadcast_address)),
)
PUBLIC_V4_SIZE = sum(hi - lo + 1 for lo, hi in _PUBLIC_V4)
PUBLIC_V6_SIZE = sum(hi - lo + 1 for lo, hi in _PUBLIC_V6)


def coverage(networks: Iterable[Network | str]) -> Coverage:
    v4, v6 = normalize(networks)
    public_v4 = _overlap_size(_intervals(v4), _PUBLIC_V4)
    public_v6 = _overlap_size(_intervals(v6), _PUBLIC_V6)
    return Coverage(public_v4, public_v6, public_v4 == PUBLIC_V4_SIZE,
                    public_v6 == PUBLIC_V6_SIZE)


def covers_internet(networks: Iterable[Network | str]) -> bool:
    """True when the set admits every public IPv4 address or every public IPv6 address."""
    return coverage(networks).internet


def exceeds(networks: Iterable[Network | str], *, max_public_v4: int, max_public_v6: int) -> bool:
    """True when the set reaches more public addresses than allowed in either IP version."""
    found = coverage(networks)
    return found.public_v4 > max_public_v4 or found.public_v6 > max_public_v6
