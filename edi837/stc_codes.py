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
    "116": "Claim submitted to the incorrect payer",
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


# The categories' official wording (code source 507), for ``edi837 rules CODE``
CATEGORY_DEFINITIONS: dict[str, str] = {
    "A1": (
        "Acknowledgement/Receipt: the claim/encounter has been received. This does not mean "
        "that the claim has been accepted for adjudication."
    ),
    "A2": (
        "Acknowledgement/Acceptance into adjudication system: the claim/encounter has been "
        "accepted into the adjudication system."
    ),
    "A3": (
        "Acknowledgement/Returned as unprocessable claim: the claim/encounter has been "
        "rejected and has not been entered into the adjudication system."
    ),
    "A4": (
        "Acknowledgement/Not Found: the claim/encounter can not be found in the adjudication "
        "system."
    ),
    "A5": (
        "Acknowledgement/Split Claim: the claim/encounter has been split upon acceptance into"
        " the adjudication system."
    ),
    "A6": (
        "Acknowledgement/Rejected for Missing Information: the claim/encounter is missing the"
        " information specified in the Status details and has been rejected."
    ),
    "A7": (
        "Acknowledgement/Rejected for Invalid Information: the claim/encounter has invalid "
        "information as specified in the Status details and has been rejected."
    ),
    "A8": "Acknowledgement/Rejected for relational field in error.",
}

# Usage notes of code source 508: what a status code needs beside it in the STC
USAGE_NOTES: dict[str, str] = {
    "21": (
        "at least one other status code is required to identify the missing or invalid information."
    ),
    "96": "this code requires use of an Entity Code.",
    "252": "this code requires use of an Entity Code.",
    "562": "this code requires use of an Entity Code.",
    "677": "this code requires use of an Entity Code.",
    "732": "at least one other status code is required to identify the inconsistent information.",
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


def meaning(stc: str) -> dict[str, str]:
    """``A7:454`` -> its category and status with their official descriptions (and the
    status code's usage note, if it has one), for ``edi837 rules CODE``."""
    category, _, status = stc.partition(":")
    text = STATUS_CODES.get(status, "(not in edi837's table)")
    if status in USAGE_NOTES:
        text = f"{text}. Usage: {USAGE_NOTES[status]}"
    return {
        "code": stc,
        "category": category,
        "category_meaning": CATEGORY_DEFINITIONS.get(category, "(not in edi837's table)"),
        "status": status,
        "status_meaning": text,
    }


def label(category: str, code: str) -> str:
    """``277CA A7:455 (Rejected for invalid information: Revenue code ...)``: a status
    code with its meaning, as the text and HTML reports print it."""
    return f"277CA {category}:{code} ({describe(category, code)})"
