"""What a 277CA status says, in words: STC01-1 categories and STC01-2 codes edi837 uses.

A bare ``A7:455`` means nothing to a biller at 3 a.m.; reports print it with its
meaning (``277CA A7:455 (Rejected for invalid information: Revenue code for services
rendered)``). The descriptions are the short forms of the official external code lists
(X12 code source 507, Health Care Claim Status Category Codes, and 508, Health Care
Claim Status Codes), trimmed of their usage notes. Only the codes the rules, the
acknowledgments and the structure checks use are listed; an unknown code is described
as such instead of guessed at.
"""

from __future__ import annotations

# STC01-1, code source 507 (the acknowledgement categories a 277CA uses)
CATEGORIES: dict[str, str] = {
    "A0": "Forwarded to another entity",
    "A1": "Received (not yet accepted for adjudication)",
    "A2": "Accepted into the adjudication system",
    "A3": "Returned as unprocessable claim",
    "A4": "Not found",
    "A5": "Split claim",
    "A6": "Rejected for missing information",
    "A7": "Rejected for invalid information",
    "A8": "Rejected for relational field in error",
}

# STC01-2, code source 508
STATUS_CODES: dict[str, str] = {
    "19": "Entity acknowledges receipt of claim/encounter",
    "20": "Accepted for processing",
    "21": "Missing or invalid information",
    "54": "Duplicate of a previously processed claim/line",
    "84": "Service not authorized",
    "96": "No agreement with entity",
    "178": "Submitted charges",
    "187": "Date(s) of service",
    "252": "Entity's prior authorization/certification number",
    "259": "Frequency of service",
    "400": "Claim is out of balance",
    "454": "Procedure code for services rendered",
    "455": "Revenue code for services rendered",
    "562": "Entity's National Provider Identifier (NPI)",
    "674": "Authorization exceeded",
    "677": "Entity not affiliated",
    "718": "Claim/service not submitted within the required timeframe (timely filing)",
    "732": "Information submitted inconsistent with billing guidelines",
}


def category_text(category: str) -> str:
    """The STC01-1 category's short meaning, or ``unknown category X``."""
    return CATEGORIES.get(category, f"unknown category {category}")


def status_text(code: str) -> str:
    """The STC01-2 code's short meaning, or ``unknown status code N``."""
    return STATUS_CODES.get(code, f"unknown status code {code}")


def describe(category: str, code: str) -> str:
    """``Rejected for invalid information: Revenue code for services rendered``."""
    return f"{category_text(category)}: {status_text(code)}"


def label(category: str, code: str) -> str:
    """``277CA A7:455 (Rejected for invalid information: Revenue code ...)``: a status
    code with its meaning, as the text and HTML reports print it."""
    return f"277CA {category}:{code} ({describe(category, code)})"
