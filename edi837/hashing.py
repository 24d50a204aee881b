"""``blake2b``, the one hash edi837 uses (input digests, the TR3 map cache key).

Why not ``hashlib.blake2b``: importing ``hashlib`` loads OpenSSL's ``_hashlib`` (a few
milliseconds of every run) although ``hashlib.blake2b`` is not OpenSSL's: CPython's
hashlib hands out ``_blake2.blake2b`` itself. Taking it from ``_blake2`` directly is
the same function without the OpenSSL load; ``hashlib`` is the fallback for an
interpreter without that module.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without CPython's _blake2
    from hashlib import blake2b

__all__ = ["blake2b"]
