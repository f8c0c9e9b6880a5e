"""The messages of the review queue's appeals: one appeal as a reviewer sees it
(claim, matched account or candidates, differences, images, history, decisions,
views).
"""

from __future__ import annotations

from pydantic import Field

from contracts.accounts import AppealOrganization
from contracts.models import Model
from contracts.recovery.appeals import ISO_TIME
from contracts.review import ReviewCaseSummary, ReviewViewRecord
from contracts.review import ReviewDecisionRecord as DecisionRecord


class MatchedAccount(Model):
    account_id: str
    login_name: str | None


class ReviewImage(Model):
    """A stored image as the reviewer's screen shows it."""

    field: str
    media_type: str
    width: int
    height: int
    data_url: str


class HistoryEntry(Model):
    """One state change of an appeal."""

    status: str
    trigger: str
    at: str = Field(json_schema_extra=ISO_TIME)


class AppealCandidate(AppealOrganization):
    """An organisation the appeal could be about, with what differs from the
    appeal's claim (``credit_code`` / ``registration_number``: another code;
    ``unit_name``: another name)."""

    differences: list[str]


class AppealReviewCase(ReviewCaseSummary):
    """One appeal for a reviewer: what was claimed (masked where the API masks),
    the matched account, what differs, the images, the history, the decisions,
    the audit of its views.

    An organisation's appeal lists every ``candidates`` it could be about (found
    when the appellant looked the unit up); with more than one, ``matched_account``
    stays null until a reviewer approves naming one (``account_id``) and
    ``differences`` holds ``several_candidates``."""

    claimed: dict[str, str | None]
    matched_account: MatchedAccount | None
    candidates: list[AppealCandidate] = Field(
        default_factory=list,
        description="Organisation appeals: every unit it could be about, the one "
        "with the given code first. Empty for a person's appeal.",
    )
    differences: list[str]
    files: list[ReviewImage]
    history: list[HistoryEntry]
    decisions: list[DecisionRecord]
    views: list[ReviewViewRecord] = Field(
        description="The audit of every view of this appeal by a reviewer, this "
        "one included, oldest first.",
    )


class DecidedAppeal(ReviewCaseSummary):
    """An appeal after a decision, with every decision recorded."""

    decisions: list[DecisionRecord]
