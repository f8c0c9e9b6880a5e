"""The reviewer console (审核): the queue of verification cases and appeals, one
case with the claimed identity beside the uploaded images, and the decision.

The same contract methods as the JSON API (``gateway.resources.review``): a
case's owner is named by its id's prefix, a case is read with the reviewer's id
(its owner, verification or recovery, audits the view), and the decision is the
owner's ``decide_review_case``, whose refusals (``reason_required``,
``candidate_required``...) show beside the form's fields. Only an account with
the reviewer role sees any of it: an anonymous visitor is sent to log in, any
other account gets 403 in the frame. The images are the case's own answer (data
URLs in the page, never at a URL of their own), so they reach only the reviewer
whose view was audited.
"""

from __future__ import annotations

from contracts import errors as ce
from contracts.recovery import RecoveryClient
from contracts.verification import CASE_ID_PREFIX as VERIFICATION_PREFIX
from contracts.verification import VerificationClient

from gateway.errors import Problem
from gateway.resources.review import REVIEWER, ReviewOwner, owner_of, read_case
from gateway.web import review_labels
from gateway.web.frame import FormState, redirect, with_query
from gateway.web.pages.base import PageResource, form_errors
from gateway.web.pages.review_queue import (
    FILTERS,
    PAGE_SIZE,
    merged_page,
    page_number,
    status_filter,
)

QUEUE = "/review"
# the states in which a case waits for a decision
WAITING = ("manual_review", "submitted")


class ReviewerPage(PageResource):
    """A page only a reviewer sees."""

    def __init__(self, ctx, frame):
        super().__init__(ctx, frame)
        self.owners: dict[str, ReviewOwner] = {
            "verification": ctx.client(VerificationClient),
            "appeal": ctx.client(RecoveryClient),
        }

    def begin_reviewer(self, req, resp):
        """``(page, reviewer)``; the reviewer is None when the answer is already
        a redirect (to log in, or to change a temporary password)."""
        page, account = self.begin_logged_in(req, resp)
        if account is None:
            return page, None
        if account["role"] != REVIEWER:
            raise Problem(403, "forbidden", "This needs the reviewer role.")
        if account["must_change_password"]:
            redirect(resp, "/me/password")
            return page, None
        return page, account

    def render(self, page, template: str, **values) -> None:
        """A console page with its words and the form state after a redirect."""
        form = self.frame.take_form(page.req, page.resp)
        self.frame.render(page, template, words=review_labels, form=form, **values)

    def posting_reviewer(self, req) -> tuple[dict, dict]:
        """``(form, reviewer)`` of a posted form (its CSRF token checked by accounts
        too)."""
        form = self.posted(req)
        account = self.auth.require_account(req, csrf_token=form.get("csrf_token"))
        if account["role"] != REVIEWER:
            raise Problem(403, "forbidden", "This needs the reviewer role.")
        return form, account


class Queue(ReviewerPage):
    def on_get(self, req, resp):
        page, reviewer = self.begin_reviewer(req, resp)
        if reviewer is None:
            return
        name = status_filter(req.get_param("status"))
        number = page_number(req.get_param("page"))
        items, total = merged_page(
            self.owners, FILTERS[name], (number - 1) * PAGE_SIZE, PAGE_SIZE
        )
        pages = max(1, -(-total // PAGE_SIZE))
        self.render(
            page,
            "review_queue.html",
            items=items,
            total=total,
            chosen=name,
            filters=list(FILTERS),
            number=number,
            pages=pages,
            link=lambda n: with_query(QUEUE, status=name, page=str(n)),
        )


class Case(ReviewerPage):
    def on_get(self, req, resp, case_id):
        page, reviewer = self.begin_reviewer(req, resp)
        if reviewer is None:
            return
        case = read_case(self.owners, case_id, reviewer["account_id"])
        self.render(page, "review_case.html", case=case, waiting=case.status in WAITING)

    def on_post(self, req, resp, case_id):
        page = self.begin(req, resp)
        form, reviewer = self.posting_reviewer(req)
        owner = owner_of(self.owners, case_id)
        choice = {}
        if not case_id.startswith(VERIFICATION_PREFIX) and form.get("account_id"):
            choice["account_id"] = form["account_id"]
        location = f"{QUEUE}/{case_id}"
        try:
            owner.decide_review_case(
                case_id=case_id,
                decision=form.get("decision", ""),
                reason=form.get("reason", ""),
                reviewer_id=reviewer["account_id"],
                **choice,
            )
        except (ce.InvalidInput, ce.Conflict) as exc:
            self.back_with(resp, location, form_errors(page, exc, form))
            return
        if form.get("decision") == "approve":
            text = page.gettext("Case %(case_id)s is approved.")
        else:
            text = page.gettext("Case %(case_id)s is rejected.")
        notice = FormState(notice=text % {"case_id": case_id})
        self.back_with(resp, QUEUE, notice)


def add_routes(app, ctx, frame) -> None:
    app.add_route(QUEUE, Queue(ctx, frame))
    app.add_route(QUEUE + "/{case_id}", Case(ctx, frame))
