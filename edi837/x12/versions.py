"""X12 5010 version labels of the 837s edi837 reads: the base guides, their errata and
bare labels (GS08/ST03), and the note that says how one was read."""

from __future__ import annotations

from edi837.x12.position import FORM_837I, FORM_837P

# Version labels: the base guide, its errata, or no suffix at all, all read as 5010.
_VERSION_FORMS = {
    "005010X222A1": FORM_837P,
    "005010X222A2": FORM_837P,
    "005010X222": FORM_837P,
    "005010X223A2": FORM_837I,
    "005010X223A3": FORM_837I,
    "005010X223A1": FORM_837I,
    "005010X223": FORM_837I,
}
CANONICAL = {FORM_837P: "005010X222A1", FORM_837I: "005010X223A2"}


def form_for_version(label: str) -> str | None:
    """837P/837I for a 5010 version label (errata and bare labels included), else None."""
    return _VERSION_FORMS.get(label.strip())


def version_note(label: str) -> str:
    form = form_for_version(label)
    if form and label != CANONICAL[form]:
        return f"version label {label!r} read as {form} {CANONICAL[form]}"
    return ""
