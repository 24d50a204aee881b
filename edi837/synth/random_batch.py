"""Deterministic random claim batches, for property tests and benchmarks.

A batch should look like what an oncology clearinghouse receives, so that screening has
something to find and something to pass: practices (837P) and hospitals (837I) in a few
states, members with dependants, S-code claims that follow a plausible course (S0353 at
onset, then S0354 every 30-32 days under one order id and ordering physician), ordinary
oncology claims around them, and now and then a replacement or void of an earlier claim.
Everything derives from ``random.Random(seed)`` and stable hashes, so one seed always
gives the same bytes, and nothing grows with the batch except one small integer per
patient (the S-code course position).
"""

from __future__ import annotations

import dataclasses
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice
from os import PathLike

from edi837.atomic import atomic_open
from edi837.npi import make_npi
from edi837.synth.names import PLACES, STREETS, invent_person, stable_hash
from edi837.synth.spec import ClaimSpec, LineSpec, PersonSpec
from edi837.synth.writer import write_837
from edi837.x12.separators import DEFAULT, Separators

PRACTICE_NAMES = (
    "HARBORLIGHT ONCOLOGY ASSOCIATES", "GREYSTONE HEMATOLOGY GROUP",
    "NORTH RIVER CANCER CARE", "MEADOWBROOK MEDICAL ONCOLOGY", "BEACON HILLTOP INFUSION",
)  # fmt: skip
HOSPITAL_NAMES = (
    "NORTHBRIDGE GENERAL HOSPITAL", "SAINT ALDEN MEDICAL CENTER", "WESTHAVEN COMMUNITY HOSPITAL",
)  # fmt: skip

# (procedure, charge, units, 837I revenue code): ordinary oncology services.
ORDINARY_SERVICES = (
    ("99214", Decimal("185.00"), Decimal("1"), "0510"),
    ("99215", Decimal("260.00"), Decimal("1"), "0510"),
    ("96413", Decimal("450.00"), Decimal("1"), "0335"),
    ("96415", Decimal("120.00"), Decimal("2"), "0335"),
    ("96367", Decimal("95.00"), Decimal("1"), "0260"),
    ("J9271", Decimal("9800.00"), Decimal("20"), "0636"),
    ("J1100", Decimal("4.50"), Decimal("10"), "0636"),
    ("85025", Decimal("28.00"), Decimal("1"), "0305"),
    ("80053", Decimal("42.00"), Decimal("1"), "0301"),
)

DIAGNOSES = ("C50911", "C50912", "C3490", "C182", "C61", "C250", "C8330")
"""ICD-10-CM principal diagnoses (cancers) for HI01-2; one per patient."""

# (payer_id, payer_name, SBR09 claim filing indicator, weight)
PAYERS = (
    ("BCBSMA", "SYNTHETIC BLUE PLAN", "BL", 6),
    ("BLUEMA", "SYNTHETIC BLUE MEDICARE ADVANTAGE", "16", 2),
    ("MEDONC", "SYNTHETIC ONCOLOGY PROGRAM PLAN", "CI", 2),
)
_PAYER_WHEEL = tuple(p for p in PAYERS for _ in range(p[3]))

MAX_S0354 = 9
"""S0354 claims per course before a patient's S-code claims turn ordinary (keeps dates in
the year that ``start`` begins)."""


@dataclass(frozen=True)
class Provider:
    """A billing provider of the batch and the clinicians who order under it."""

    npi: str
    name: str
    state: str
    city: str
    street: str
    zip9: str
    tax_id: str
    form: str
    clinicians: tuple[str, ...]


def _npi(rng: random.Random) -> str:
    return make_npi(f"1{rng.randrange(10**8):08d}")


def _providers(rng: random.Random, form: str) -> list[Provider]:
    kinds: list[tuple[str, str]] = []
    if form in ("837P", "mixed"):
        kinds += [("837P", name) for name in PRACTICE_NAMES[:4]]
    if form in ("837I", "mixed"):
        kinds += [("837I", name) for name in HOSPITAL_NAMES[: 3 if form == "837I" else 2]]
    if not kinds:
        raise ValueError(f"form must be 837P, 837I or mixed, not {form!r}")
    providers = []
    for index, (kind, name) in enumerate(kinds):
        # Mostly Massachusetts; one New York and one Ohio provider for state-scoped rules.
        city, state, zip5 = PLACES[(1, 6, 0, 5, 2)[index % 5]]
        providers.append(
            Provider(
                npi=_npi(rng),
                name=name,
                state=state,
                city=city,
                street=f"{rng.randrange(10, 999)} {rng.choice(STREETS)}",
                zip9=f"{zip5}{rng.randrange(10000):04d}",
                tax_id=f"{rng.randrange(10**8, 10**9)}",
                form=kind,
                clinicians=tuple(_npi(rng) for _ in range(3)),
            )
        )
    return providers


def member_id(seed: int, index: int) -> str:
    """Member ids of batch ``seed``: readable, distinct across indices."""
    return f"ZM{seed % 1000:03d}{index:07d}"


def dependant_of(subscriber: PersonSpec, key: str) -> tuple[PersonSpec, str]:
    """A stable invented dependant and its PAT01 relationship code.

    Older subscribers get a spouse (01) of about their age, younger ones a child (19);
    the dependant shares the subscriber's surname and address.
    """
    person = invent_person(key + "/dependant")
    h = stable_hash(key)
    if subscriber.birth_date.year < 1975:
        relationship = "01"
        birth = subscriber.birth_date + timedelta(days=h % 2000 - 1000)
    else:
        relationship = "19"
        birth = min(subscriber.birth_date + timedelta(days=7300 + h % 3650), date(2024, 12, 31))
    dependant = dataclasses.replace(
        person,
        last=subscriber.last,
        birth_date=birth,
        street=subscriber.street,
        city=subscriber.city,
        state=subscriber.state,
        postal_code=subscriber.postal_code,
    )
    return dependant, relationship


class _Batch:
    """The state of one ``random_claims`` run; one method per kind of claim."""

    def __init__(
        self,
        seed: int,
        form: str,
        members: int,
        start: date,
        s_code_ratio: float,
        dependant_ratio: float,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.providers = _providers(self.rng, form)
        self.members = members
        self.start = start
        self.s_code_ratio = s_code_ratio
        self.dependant_ratio = dependant_ratio
        self.course: dict[str, int] = {}  # patient key -> S-code claims so far
        self.recent: deque[ClaimSpec] = deque(maxlen=64)
        self.prefix = f"C{seed % 10000:04d}"

    def _base(self, number: int, provider: Provider, index: int, dependant: bool) -> ClaimSpec:
        mid = member_id(self.seed, index)
        subscriber = invent_person(mid, member_id=mid)
        payer_id, payer_name, filing, _ = _PAYER_WHEEL[stable_hash(mid) % len(_PAYER_WHEEL)]
        patient, relationship = dependant_of(subscriber, mid) if dependant else (None, "19")
        patient_key = mid + ("/dependant" if dependant else "")
        return ClaimSpec(
            claim_id=f"{self.prefix}{number:07d}",
            member_id=mid,
            lines=[],
            form=provider.form,
            billing_npi=provider.npi,
            billing_name=provider.name,
            billing_state=provider.state,
            billing_tax_id=provider.tax_id,
            billing_street=provider.street,
            billing_city=provider.city,
            billing_zip=provider.zip9,
            subscriber=subscriber,
            patient=patient,
            patient_relationship=relationship,
            filing_indicator=filing,
            payer_id=payer_id,
            payer_name=payer_name,
            diagnosis=DIAGNOSES[stable_hash(patient_key) % len(DIAGNOSES)],
        )

    def s_code_claim(self, claim: ClaimSpec, key: str, step: int) -> ClaimSpec:
        """S0353 at the course's onset, then S0354 every 30-32 days, alone on the claim."""
        rng = self.rng
        h = stable_hash(f"{self.seed}/{key}")
        onset = self.start + timedelta(days=h % 8)
        when = onset + timedelta(days=31 * step + (rng.randint(0, 1) if step else 0))
        order_id = f"ORD{h % 10**8:08d}"
        ordering = make_npi(f"1{stable_hash(key + '/md') % 10**8:08d}")
        charge = Decimal("300.00") if rng.random() < 0.9 else Decimal("350.00")
        line = LineSpec(
            procedure="S0353" if step == 0 else "S0354",
            service_date=when,
            charge=charge,
        )
        claim.ref_g1 = order_id
        if claim.form == "837P":
            line.ordering_npi = ordering
            line.ref_g1 = order_id if rng.random() < 0.5 else None
            claim.rendering_npi = ordering if rng.random() < 0.5 else None
        else:
            claim.attending_npi = ordering
            if rng.random() < 0.2:  # DTP*472 is optional on the 837I; DTP*434 carries it
                line.service_date = None
                claim.statement_from = claim.statement_to = when
        claim.lines.append(line)
        return claim

    def ordinary_claim(self, claim: ClaimSpec, provider: Provider, when: date) -> ClaimSpec:
        """One to four ordinary services over one or two days."""
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            code, charge, units, revenue = rng.choice(ORDINARY_SERVICES)
            end = when + timedelta(days=1) if rng.random() < 0.1 else None
            claim.lines.append(
                LineSpec(code, when, end, charge, units, revenue_code=revenue),
            )
        if rng.random() < 0.3:
            claim.referring_npi = rng.choice(provider.clinicians)
        if claim.form == "837P":
            claim.facility_code = rng.choice(("11", "11", "11", "22"))
            if rng.random() < 0.5:
                claim.rendering_npi = rng.choice(provider.clinicians)
        else:
            claim.attending_npi = rng.choice(provider.clinicians)
        return claim

    def correction(self) -> ClaimSpec:
        """A replacement (7) or void (8) of a recent original, pointing at it by REF*F8."""
        original = self.rng.choice(self.recent)
        return dataclasses.replace(
            original,
            frequency=self.rng.choice("778"),
            ref_f8=f"PCN{stable_hash(original.claim_id) % 10**10:010d}",
            lines=[dataclasses.replace(line) for line in original.lines],
        )

    def claims(self, n: int) -> Iterator[ClaimSpec]:
        rng = self.rng
        number = 0
        while number < n:
            provider = rng.choice(self.providers)
            for _ in range(rng.randint(1, 12)):  # submitters send runs per provider
                if number >= n:
                    return
                number += 1
                if self.recent and rng.random() < 0.04:
                    yield self.correction()
                    continue
                index = rng.randrange(self.members)
                dependant = rng.random() < self.dependant_ratio
                claim = self._base(number, provider, index, dependant)
                key = claim.member_id + ("/dependant" if dependant else "")
                step = self.course.get(key, 0)
                if rng.random() < self.s_code_ratio and step <= MAX_S0354:
                    self.course[key] = step + 1
                    claim = self.s_code_claim(claim, key, step)
                    self.recent.append(claim)
                    yield claim
                    if number < n and rng.random() < 0.3:
                        # The other services of the same visit, on their own claim.
                        number += 1
                        other = self._base(number, provider, index, dependant)
                        when = claim.lines[0].service_date or claim.statement_from
                        assert when is not None
                        yield self.ordinary_claim(other, provider, when)
                    continue
                when = self.start + timedelta(days=rng.randrange(290))
                claim = self.ordinary_claim(claim, provider, when)
                self.recent.append(claim)
                yield claim


def random_claims(
    seed: int,
    n: int,
    *,
    form: str = "mixed",
    s_code_ratio: float = 0.5,
    dependant_ratio: float = 0.2,
    members: int | None = None,
    start: date = date(2026, 1, 5),
) -> Iterator[ClaimSpec]:
    """Yield ``n`` synthetic claims, the same ones for the same arguments.

    ``form`` is "837P", "837I" or "mixed" (practices bill 837P, hospitals 837I);
    ``members`` defaults to a quarter of ``n`` so that patients recur and S-code courses
    (S0353, then S0354s) build up.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    batch = _Batch(
        seed,
        form,
        members if members is not None else max(1, n // 4),
        start,
        s_code_ratio,
        dependant_ratio,
    )
    return batch.claims(n)


def generate_file(
    path: str | PathLike[str],
    *,
    seed: int,
    claims: int,
    form: str = "mixed",
    interchanges: int = 1,
    separators: Separators = DEFAULT,
    line_ending: str = "\n",
    claims_per_st: int = 1000,
) -> None:
    """Write ``claims`` random claims as ``interchanges`` ISA envelopes back to back.

    Claims are spread evenly over the interchanges; ISA13, GS06 and ST02 keep counting
    across them, so every control number in the file is distinct.
    """
    if not 1 <= interchanges <= max(claims, 1):
        raise ValueError("need 1 <= interchanges <= claims")
    stream = random_claims(seed, claims, form=form)
    per, extra = divmod(claims, interchanges)
    next_st, next_gs = 1, 1
    with atomic_open(path, encoding="ascii", newline="", buffering=1 << 20) as out:
        for k in range(interchanges):
            summary = write_837(
                out,
                islice(stream, per + (1 if k < extra else 0)),
                separators=separators,
                line_ending=line_ending,
                isa_control=k + 1,
                gs_control=next_gs,
                st_start=next_st,
                claims_per_st=claims_per_st,
            )
            next_st = summary.next_st
            next_gs += summary.functional_groups
