"""A Dask scheduler address, checked before any connection is tried: a typo is one line at
once, and a refused port fails at once instead of after the connect timeout.

Without dask: the address is read here with the rules `distributed` applies (an optional
`scheme://`, tcp by default; a host and a port for network schemes; IPv6 hosts in brackets),
and every part of it is checked here, in one place: the host's name or IP address, the port,
no user or password, no path. `inproc://` addresses exist only inside one Python process, so
no command can reach one.

A Dask scheduler speaks first: on a new tcp:// connection it sends its greeting (a framed
message) at once. The probe reads that greeting, so an address where something else listens
(a web server, a socket that accepts and stays silent, a service that greets in its own
protocol) fails within the connect timeout with one line, instead of waiting on Dask's
handshake.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from dataclasses import dataclass

from riskctl.errors import EXIT_BAD_INPUT, ClusterError

NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss")
OTHER_SCHEMES = ("ucx", "ucxx")
IN_PROCESS = "inproc"
MAX_ADDRESS = 1_000  # characters
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$", re.IGNORECASE)
# a greeting's first 16 bytes: its total length and its number of frames (little-endian)
GREETING = struct.Struct("<QQ")
MAX_GREETING = 1 << 20
MAX_FRAMES = 64
EXAMPLE = "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"


@dataclass(frozen=True)
class Address:
    scheme: str
    host: str | None  # None: a scheme without a network host (inproc, ucx)
    port: int | None


def parse_address(text: str) -> Address:
    """`text` as a scheduler address, else a ClusterError (exit 2) saying what is wrong."""
    if len(text) > MAX_ADDRESS:
        raise _bad(text[:40] + "...", f"{len(text):,} characters is too long for an address")
    if not text.isprintable() or any(ch.isspace() for ch in text):
        raise _bad(text, "it holds spaces or control characters")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme == IN_PROCESS:
        raise _bad(
            text,
            "inproc:// addresses exist only inside one Python process; riskctl reaches a "
            "scheduler over the network",
        )
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
    if "@" in rest:
        raise _bad(text, "a scheduler address has no user name or password (no '@')")
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
        raise _bad(text, f"port {port_text[:20]!r} is not a number from 1 to 65535")
    why = host_problem(host, bracketed=rest.startswith("["))
    if why:
        raise _bad(text, why)
    return host, int(port_text)


def host_problem(host: str, bracketed: bool = False) -> str | None:
    """Why `host` is no host name or IP address (None: it is one)."""
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{host[:40]!r} in brackets is not an IPv6 address"
        return None
    try:
        ipaddress.IPv4Address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"host {host[:40]!r} is not a valid host name (each part at most 63 characters)"
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return (
            f"host {host[:40]!r} is not a valid host name (letters, digits and '-', parts "
            "of at most 63 characters, at most 253 in all)"
        )
    return None


def _bad(text: str, why: str) -> ClusterError:
    return ClusterError(
        f"--scheduler {text!r} is not a Dask scheduler address: {why}",
        f"expected {EXAMPLE}",
        EXIT_BAD_INPUT,
    )


def probe(address: Address, timeout: float) -> str | None:
    """Why a network address cannot be reached (refused, unknown host, no answer) or does
    not speak Dask, found with one plain TCP connect (and, for tcp://, a read of the
    scheduler's greeting), all within `timeout` seconds; None when it answers (as Dask, for
    tcp://) or is not a network address."""
    if address.host is None or address.port is None:
        return None
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout) as sock:
            return greeting_problem(sock, timeout) if address.scheme == "tcp" else None
    except socket.gaierror:
        return f"unknown host {address.host[:60]}"
    except ConnectionRefusedError:
        return f"connection refused (nothing listens on port {address.port})"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except UnicodeError:
        return f"host {address.host[:40]!r} is not a valid host name"
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def greeting_problem(sock: socket.socket, timeout: float) -> str | None:
    """Why what `sock` sends first is no Dask greeting: nothing within `timeout` seconds,
    the connection closed, or bytes that are not a framed message. None: a greeting."""
    sock.settimeout(timeout)
    head = b""
    try:
        while len(head) < GREETING.size:
            chunk = sock.recv(GREETING.size - len(head))
            if not chunk:
                return "something answered there, but closed the connection without a Dask greeting"
            head += chunk
    except TimeoutError:
        return (
            f"something answered there, but not a Dask scheduler (no Dask greeting within "
            f"{timeout:g} s)"
        )
    total, frames = GREETING.unpack(head)
    if not (GREETING.size <= total <= MAX_GREETING and 1 <= frames <= MAX_FRAMES):
        return "something answered there, but not a Dask scheduler"
    return None
