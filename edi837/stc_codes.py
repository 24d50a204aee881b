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
    "16": "Claim/encounter has been forwarded to entity",
    "19": "Entity acknowledges receipt of claim/encounter",
    "20": "Accepted for processing",
    "21": "Missing or invalid information",
    "54": "Duplicate of a previously processed claim/line",
    "84": "Service not authorized",
    "96": "No agreement with entity",
    "116": "Claim submitted to the incorrect payer",
    "178": "Submitted charges",
    "187": "Date(s) of service",
    "188": "Statement from-through dates",
    "252": "Entity's prior authorization/certification number",
    "247": "Line information",
    "259": "Frequency of service",
    "276": "UB04/HCFA-1450/1500 claim form",
    "400": "Claim is out of balance",
    "454": "Procedure code for services rendered",
    "455": "Revenue code for services rendered",
    "464": "Payer Assigned Claim Control Number",
    "476": "Missing or invalid units of service",
    "478": "Claim submitter's identifier",
    "481": "Claim/submission format is invalid",
    "562": "Entity's National Provider Identifier (NPI)",
    "583": "Line Item Charge Amount",
    "674": "Authorization exceeded",
    "677": "Entity not affiliated",
    "684": (
        "Rejected. Syntax error noted for this claim/service/inquiry. See Functional or "
        "Implementation Acknowledgement for details"
    ),
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
    "A0": ("Acknowledgement/Forwarded: the claim/encounter has been forwarded to another entity."),
}

# STC01-3 / STC10-3, code source 98 (Entity Identifier Code): the entities edi837 names
ENTITIES: dict[str, str] = {
    "1P": "Provider",
    "41": "Submitter",
    "71": "Attending Physician",
    "72": "Operating Physician",
    "77": "Service Location",
    "82": "Rendering Provider",
    "85": "Billing Provider",
    "AY": "Clearinghouse",
    "DK": "Ordering Physician",
    "DN": "Referring Provider",
    "DQ": "Supervising Physician",
    "IL": "Insured or Subscriber",
    "PR": "Payer",
    "QC": "Patient",
}

# Usage notes of code source 508: what a status code needs beside it in the STC
USAGE_NOTES: dict[str, str] = {
    "16": "this code requires use of an Entity Code.",
    "19": "this code requires use of an Entity Code.",
    "21": (
        "at least one other status code is required to identify the missing or invalid information."
    ),
    "96": "this code requires use of an Entity Code.",
    "252": "this code requires use of an Entity Code.",
    "562": "this code requires use of an Entity Code.",
    "677": "this code requires use of an Entity Code.",
    "684": (
        "only for use to reject claims or status requests in transactions that were "
        "'accepted with errors' on a 997 or 999 Acknowledgement."
    ),
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


def entity_text(code: str) -> str:
    """The STC01-3 entity's name, or ``unknown entity X``."""
    return ENTITIES.get(code, f"unknown entity {code}")


def meaning(stc: str) -> dict[str, str]:
    """``A7:454`` or ``A7:562:85`` -> its category, status (and entity) with their
    official descriptions (and the status code's usage note, if it has one), for
    ``edi837 rules CODE``."""
    category, _, rest = stc.partition(":")
    status, _, entity = rest.partition(":")
    text = STATUS_CODES.get(status, "(not in edi837's table)")
    if status in USAGE_NOTES:
        text = f"{text}. Usage: {USAGE_NOTES[status]}"
    out = {
        "code": stc,
        "category": category,
        "category_meaning": CATEGORY_DEFINITIONS.get(category, "(not in edi837's table)"),
        "status": status,
        "status_meaning": text,
    }
    if entity:
        out["entity"] = entity
        out["entity_meaning"] = ENTITIES.get(entity, "(not in edi837's table)")
    return out


def label(category: str, code: str, entity: str = "", detail: str = "") -> str:
    """``277CA A7:455 (Rejected for invalid information: Revenue code ...)``: a status
    code with its meaning, as the text and HTML reports print it; with the entity
    (``A7:562:85 (...: Entity's National Provider Identifier (NPI); Billing Provider)``)
    and the STC10 second code when the 277CA sends them."""
    stc = ":".join(p for p in (category, code, entity) if p)
    text = describe(category, code) + (f"; {entity_text(entity)}" if entity else "")
    out = f"277CA {stc} ({text})"
    if detail:
        d_category, _, rest = detail.partition(":")
        d_status = rest.partition(":")[0]
        out += f" + STC10 {detail} ({status_text(d_status)})"
    return out
