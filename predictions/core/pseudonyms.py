"""Pseudonymous abuse keys: we keep an HMAC of the network prefix, never an address."""

import hashlib
import hmac
import ipaddress


def network_prefix(address: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 address, as a network string."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def ip_hash(address: str, key: bytes) -> str:
    """A keyed hash of the address's network prefix."""
    return hmac.new(key, network_prefix(address).encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """The stored form of a bearer token (tokens are long and random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
