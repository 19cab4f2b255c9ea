"""A Dask scheduler address, checked before any connection is tried: a typo is one line at
once, and a refused port fails at once instead of after the connect timeout.

Without dask: the address is read here with the rules `distributed` applies (an optional
`scheme://`, tcp by default; a host and a port for network schemes; IPv6 hosts in brackets).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from riskctl.errors import EXIT_BAD_INPUT, ClusterError

NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss")
OTHER_SCHEMES = ("inproc", "ucx", "ucxx")
EXAMPLE = "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"


@dataclass(frozen=True)
class Address:
    scheme: str
    host: str | None  # None: a scheme without a network host (inproc, ucx)
    port: int | None


def parse_address(text: str) -> Address:
    """`text` as a scheduler address, else a ClusterError (exit 2) saying what is wrong."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme in OTHER_SCHEMES:
        if not rest:
            raise _bad(text, "no location after the scheme")
        return Address(scheme, None, None)
    if scheme not in NETWORK_SCHEMES:
        raise _bad(text, f"unknown scheme {scheme}:// (Dask speaks tcp://, tls://, ws://, wss://)")
    host, port = _host_port(text, rest)
    return Address(scheme, host, port)


def _host_port(text: str, rest: str) -> tuple[str, int]:
    if not rest:
        raise _bad(text, "no host and port")
    if "/" in rest or "?" in rest or "#" in rest:
        raise _bad(text, "a scheduler address has no path")
    if rest.startswith("["):
        host, close, after = rest[1:].partition("]")
        if not close or not host:
            raise _bad(text, "an IPv6 host needs a closing ']'")
        if not after.startswith(":"):
            raise _bad(text, "no port number")
        port_text = after[1:]
    else:
        host, colon, port_text = rest.rpartition(":")
        if not colon:
            raise _bad(text, "no port number")
        if not host:
            raise _bad(text, "no host")
        if ":" in host:
            raise _bad(text, "an IPv6 host goes in brackets, e.g. tcp://[::1]:8786")
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _bad(text, f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)


def _bad(text: str, why: str) -> ClusterError:
    return ClusterError(
        f"--scheduler {text!r} is not a Dask scheduler address: {why}",
        f"expected {EXAMPLE}",
        EXIT_BAD_INPUT,
    )


def probe(address: Address, timeout: float) -> str | None:
    """Why a network address cannot be reached (refused, unknown host, no answer), found
    with one plain TCP connect; None when it answers or is not a network address."""
    if address.host is None or address.port is None:
        return None
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            return None
    except socket.gaierror:
        return f"unknown host {address.host}"
    except ConnectionRefusedError:
        return f"connection refused (nothing listens on port {address.port})"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
