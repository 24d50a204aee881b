"""Synthetic 837P/837I claims: specs, a streaming X12 writer, and random batches.

Tests describe claims as :class:`ClaimSpec` values and render them with
:func:`render_837`; benchmarks stream :func:`random_claims` through
:func:`generate_file`. Every name, address, member id and NPI is invented.
"""

from edi837.synth.random_batch import generate_file, random_claims
from edi837.synth.spec import S_CODES, ClaimSpec, LineSpec, PersonSpec
from edi837.synth.writer import WriteSummary, render_837, write_837, write_837_file

__all__ = [
    "S_CODES",
    "ClaimSpec",
    "LineSpec",
    "PersonSpec",
    "WriteSummary",
    "generate_file",
    "random_claims",
    "render_837",
    "write_837",
    "write_837_file",
]
