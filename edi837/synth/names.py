"""Invented people, places and providers for synthetic claims.

The writer needs a name for every NPI it prints and a subscriber for every member id a
test leaves bare; the random batches need many of both. Deriving them from a stable hash
(``zlib.crc32``, not ``hash()``, which is salted per process) keeps output byte-identical
across runs without storing anything. Every value here is made up; nothing is copied from
the X12 guides' examples or from real records.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from functools import lru_cache

from edi837.synth.spec import PersonSpec

LAST_NAMES = (
    "ALDERWOOD", "BRACKENRIDGE", "CALLOWAY", "DUNMORE", "ELLSWORTH", "FAIRCLOTH",
    "GALLOWAY", "HARTWELL", "IVERSEN", "JUNIPER", "KESTREL", "LINDQVIST", "MARLOWE",
    "NORTHCOTT", "OAKHAVEN", "PEMBERTON", "QUILLFEATHER", "ROWANTREE", "SALTONSTAL",
    "THISTLEWOOD", "UPTONSHIRE", "VANTERPOOL", "WHITLOCKE", "YARBOROUGH", "ZELLWEGER",
)  # fmt: skip
FIRST_NAMES_F = (
    "ADA", "BEATRIX", "CORA", "DELPHINE", "EDIE", "FLORA", "GRETA", "HESTER",
    "IMOGEN", "JUNO", "LARK", "MAREN", "NELL", "OPAL", "PRISCA", "ROSALIND",
)  # fmt: skip
FIRST_NAMES_M = (
    "ALARIC", "BARNABY", "CASPER", "DORIAN", "EMRYS", "FENWICK", "GIDEON", "HOLLIS",
    "IGNATIUS", "JASPER", "LEANDER", "MILO", "NILES", "OSWIN", "PERCIVAL", "RUFUS",
)  # fmt: skip
STREETS = (
    "MAPLE HOLLOW RD", "LANTERN LN", "QUARRY HILL AVE", "HERON POND WAY",
    "FOXGLOVE CT", "BRAMBLE ST", "TIDEWATER DR", "ORCHARD GATE RD",
)  # fmt: skip
# (city, state, 5-digit ZIP): invented town names with plausible state/ZIP pairs.
PLACES = (
    ("NORTHBRIDGE FALLS", "MA", "01588"), ("WESTHAVEN", "MA", "02140"),
    ("CEDAR MILLS", "MA", "01060"), ("PORT ALDEN", "ME", "04101"),
    ("GRANITE RUN", "NH", "03301"), ("LAKE TOWNSEND", "NY", "12203"),
    ("RIVERBEND", "OH", "43215"), ("SILVER HOLLOW", "CA", "95814"),
)  # fmt: skip


def _pick(seq: tuple, h: int, shift: int):  # type: ignore[type-arg]
    return seq[(h >> shift) % len(seq)]


def stable_hash(text: str) -> int:
    """A process-independent 32-bit hash (``hash()`` changes with PYTHONHASHSEED)."""
    return zlib.crc32(text.encode("ascii", "replace"))


def provider_name(npi: str) -> tuple[str, str]:
    """(last, first) of the invented clinician behind an individual NPI."""
    h = stable_hash("prov" + npi)
    first = _pick(FIRST_NAMES_F if h & 1 else FIRST_NAMES_M, h, 1)
    return _pick(LAST_NAMES, h, 9), first


@lru_cache(maxsize=8192)
def invent_person(key: str, *, member_id: str = "") -> PersonSpec:
    """A stable invented person for ``key`` (usually a member id).

    Cached because a batch asks for the same members again and again; PersonSpec is
    mutable, so callers must not modify what they get back.
    """
    h = stable_hash(key)
    gender = "F" if h & 1 else "M"
    first = _pick(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M, h, 1)
    city, state, postal = _pick(PLACES, h, 13)
    birth = date(1940, 1, 1) + timedelta(days=(h >> 5) % (60 * 365))
    return PersonSpec(
        last=_pick(LAST_NAMES, h, 7),
        first=first,
        birth_date=birth,
        gender=gender,
        member_id=member_id,
        street=f"{100 + (h >> 17) % 9800} {_pick(STREETS, h, 3)}",
        city=city,
        state=state,
        postal_code=postal,
    )
