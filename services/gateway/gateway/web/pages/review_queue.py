"""The reviewer console's queue: both kinds of case (verification cases and
appeals) in one list, oldest submission first, by a filter of the page's own
(waiting, approved, rejected, superseded) that names each owner's states, one
page at a time.

Each owner lists its own cases oldest first (``list_review_cases``); a page of the
merged list needs at most ``offset + size`` of each, read in the owners' largest
pages (``contracts.review.MAX_PAGE``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.review import MAX_PAGE

from gateway.resources.review import ReviewOwner, invalid_parameter

PAGE_SIZE = 20
# filter -> kind -> the owner's states it shows
FILTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "waiting": {"verification": ("manual_review",), "appeal": ("submitted",)},
    "approved": {"verification": ("passed",), "appeal": ("approved", "recovered")},
    "rejected": {"verification": ("rejected",), "appeal": ("rejected",)},
    "superseded": {"verification": ("superseded",)},
}
MAX_PAGE_NUMBER = 10**6


def status_filter(value: str | None) -> str:
    """The queue's filter (``waiting`` by default); another value is 422
    ``status_invalid``."""
    if value is None or value == "":
        return "waiting"
    if value not in FILTERS:
        raise invalid_parameter(
            "status",
            "status_invalid",
            "status must be one of " + ", ".join(FILTERS),
            "unknown",
        )
    return value


def page_number(value: str | None) -> int:
    """The page asked for (1 by default); anything but 1 to a million is 422
    ``page_invalid``."""
    if value is None or value == "":
        return 1
    number = int(value) if value.isdigit() and len(value) <= 7 else 0
    if not 1 <= number <= MAX_PAGE_NUMBER:
        raise invalid_parameter(
            "page",
            "page_invalid",
            f"page must be an integer from 1 to {MAX_PAGE_NUMBER}.",
            "out of range",
        )
    return number


def first_cases(owner: ReviewOwner, status: str, count: int) -> tuple[list, int]:
    """The owner's first ``count`` cases in ``status`` (oldest first) and how many
    it has in all."""
    items: list = []
    while True:
        page = owner.list_review_cases(
            status=status, limit=min(MAX_PAGE, count - len(items)), offset=len(items)
        )
        items += page.items
        if len(items) >= min(count, page.total) or not page.items:
            return items, page.total


def merged_page(
    owners: dict[str, ReviewOwner],
    states: dict[str, tuple[str, ...]],
    offset: int,
    size: int,
) -> tuple[list, int]:
    """Cases ``offset`` to ``offset + size`` of every kind in ``states``, oldest
    submission first, and how many there are in all."""
    items, total = [], 0
    for kind, names in states.items():
        for status in names:
            found, count = first_cases(owners[kind], status, offset + size)
            items += found
            total += count
    items.sort(key=_sort_key)
    return items[offset : offset + size], total


def _sort_key(case) -> tuple[datetime, str]:
    """Oldest submission first; a case with no submission time first of all."""
    if not case.submitted_at:
        return datetime.min, case.case_id
    at = datetime.fromisoformat(case.submitted_at)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at, case.case_id
