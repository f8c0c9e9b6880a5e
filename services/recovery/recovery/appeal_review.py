"""The review queue's appeals: list, show (masked claims, images, history,
decisions; every view audited), decide (plain functions; the queue's shared rules are
``contracts.review``)."""

from __future__ import annotations

import base64

from contracts import review
from contracts.errors import Conflict, InvalidInput, field_error, invalid_fields
from contracts.masking import mask_credit_code, mask_document, mask_phone
from contracts.recovery import AppealApproved, AppealRejected
from contracts.temporary_passwords import generate as temporary_password
from servicekit.images import review_view
from servicekit.workqueue import enqueue

from recovery import repository as repo
from recovery.appeals import (
    DOC_NUMBER,
    NAME,
    NOTIFY_REJECTION,
    PHONE,
    PURGE_FILES,
    RECOVER_ACCOUNT,
    UNIT_CODE,
    UNIT_NAME,
    AppealDeps,
    file_aad,
    password_aad,
    stored_candidates,
)
from recovery.flow import APPEAL, AppealState, AppealTrigger
from recovery.models import work_items


def review_summary(row) -> dict:
    """An appeal as the review queue lists it (``contracts.review``)."""
    return review.case_summary(
        case_id=row.id,
        kind="appeal",
        state=row.state,
        account_id=row.matched_account_id,
        account_kind=row.kind,
        submitted_at=row.created_at,
        decided_at=row.decided_at,
    )


def history_entry(transition) -> dict:
    """One state change as a reviewer sees it (the shape of the verification
    history's entries)."""
    return {
        "status": transition.to_state,
        "trigger": transition.trigger,
        "at": transition.at.isoformat(),
    }


def list_review_cases(
    deps: AppealDeps, status: str | None, limit: int, offset: int
) -> dict:
    """One page of appeals in ``status`` (a state; ``submitted`` by default)."""
    state = status or AppealState.SUBMITTED.value
    review.check_page(state, [s.value for s in AppealState], limit, offset)
    with deps.session.begin():
        rows, total = repo.review_page(deps.session, state, limit, offset)
    return {"items": [review_summary(r) for r in rows], "total": total}


def _claimed(deps: AppealDeps, row, candidates: list) -> tuple[dict, list[str]]:
    """What the appellant claimed, masked where the API masks (the document number
    and the unit's code with a fixed number of stars, ``contracts.masking``), and
    what differs from the matched account."""
    c = deps.cipher
    claimed = {
        "name": c.decrypt(row.name_enc, NAME),
        "phone": mask_phone(c.decrypt(row.phone_enc, PHONE)),
    }
    differences = []
    if row.kind == "person":
        claimed.update(
            identity_region=row.identity_region,
            doc_type=row.doc_type,
            doc_number=mask_document(c.decrypt(row.doc_number_enc, DOC_NUMBER)),
        )
        if row.matched_account_id and row.name_matches is False:
            differences.append("name")
    else:
        claimed["unit_name"] = c.decrypt(row.unit_name_enc, UNIT_NAME)
        if row.unit_code_enc is not None:
            claimed[row.unit_code_kind] = mask_credit_code(
                c.decrypt(row.unit_code_enc, UNIT_CODE)
            )
    if row.matched_account_id is None and not candidates:
        differences.append("no_matching_account")
    return claimed, differences


def _candidates(row, found: dict | None) -> list[dict]:
    """An organisation appeal's candidates (``stored_candidates``), each with what
    differs from the claim (another code, another name)."""
    if found is None:
        return []
    return [
        {
            **candidate,
            "differences": [
                name
                for name, same in (
                    (row.unit_code_kind, candidate["code_matches"]),
                    ("unit_name", candidate["name_matches"]),
                )
                if not same
            ],
        }
        for candidate in found["candidates"]
    ]


def _candidate_differences(row, candidates: list[dict], truncated: bool) -> list[str]:
    """What the reviewer must know about an organisation appeal's candidates:
    several could be meant (one must be named to approve), the list is cut, or
    the one candidate differs from the claim; an appeal stored before the code was
    asked for says so."""
    if row.kind != "organization":
        return []
    if row.candidates_enc is None:
        return ["unit_code_not_given"]
    differences = ["several_candidates"] if len(candidates) > 1 else []
    if len(candidates) == 1:
        differences += candidates[0]["differences"]
    return differences + (["candidates_truncated"] if truncated else [])


def _matched_account(row) -> dict | None:
    if not row.matched_account_id:
        return None
    return {"account_id": row.matched_account_id, "login_name": row.matched_login_name}


def get_review_case(deps: AppealDeps, case_id: object, reviewer_id: object) -> dict:
    """One appeal as the reviewer ``reviewer_id`` opens it: what was claimed, the
    matched account, an organisation appeal's candidates, what differs, the
    decoded images, the history, the decisions and the audit of its views. The
    view is written in the transaction that reads the images: an unknown appeal
    records nothing. Raises ``InvalidInput`` (``reviewer_required``), ``NotFound``
    (``case_not_found``)."""
    if not reviewer_id or not isinstance(reviewer_id, str):
        raise InvalidInput("reviewer_required", "Who is viewing?")
    if not repo.is_appeal_id(case_id):
        raise review.case_not_found()
    with deps.session.begin():
        row = repo.get_appeal(deps.session, case_id)
        if row is None:
            raise review.case_not_found()
        repo.view_audit.record(
            deps.session,
            case_id,
            reviewer_id=reviewer_id,
            correlation_id=deps.correlation_id,
            now=deps.clock(),
        )
        stored = repo.files(deps.session, case_id)
        history = repo.history(deps.session, case_id)
        decisions = repo.decisions(deps.session, case_id)
        views = repo.view_audit.of(deps.session, case_id)
    found = stored_candidates(deps.cipher, row)
    candidates = _candidates(row, found)
    claimed, differences = _claimed(deps, row, candidates)
    truncated = bool(found and found["truncated"])
    files = [
        review_view(
            f.field,
            f.media_type,
            f.width,
            f.height,
            deps.cipher.decrypt_bytes(f.ciphertext, file_aad(case_id, f.field)),
        )
        for f in stored
    ]
    return {
        **review_summary(row),
        "claimed": claimed,
        "matched_account": _matched_account(row),
        "candidates": candidates,
        "differences": differences + _candidate_differences(row, candidates, truncated),
        "files": files,
        "history": [history_entry(t) for t in history],
        "decisions": [review.decision_record(d) for d in decisions],
        "views": [review.view_record(v) for v in views],
    }


def _approved_account(deps: AppealDeps, row, account_id: object) -> tuple[str, str]:
    """``(account_id, login_name)`` an approval recovers: the one named, which
    must be one of the appeal's candidates, or the only candidate. Raises
    ``Conflict`` (``no_matching_account``), ``InvalidInput``
    (``candidate_required``: several could be meant, or an organisation appeal
    stored before candidates were kept; ``candidate_invalid``)."""
    found = stored_candidates(deps.cipher, row)
    if found is None:
        options = (
            {row.matched_account_id: row.matched_login_name}
            if row.matched_account_id
            else {}
        )
        # an old organisation appeal matched the oldest unit of its name: the
        # reviewer must say that this one is meant
        must_name = row.kind == "organization"
    else:
        options = {c["account_id"]: c["login_name"] for c in found["candidates"]}
        must_name = len(options) > 1
    if not options:
        raise Conflict(
            "no_matching_account",
            "The appeal matches no account; it can only be rejected.",
        )
    if account_id is None and must_name:
        raise invalid_fields(
            [
                field_error(
                    "account_id",
                    "candidate_required",
                    "Several accounts could be meant: name the approved one",
                )
            ],
            candidates=list(options),
        )
    chosen = next(iter(options)) if account_id is None else account_id
    if chosen not in options:
        raise invalid_fields(
            [
                field_error(
                    "account_id", "candidate_invalid", "Not a candidate of this appeal"
                )
            ],
            candidates=list(options),
        )
    return chosen, options[chosen]  # type: ignore[index]


def decide_review_case(
    deps: AppealDeps,
    case_id: object,
    decision: object,
    reason: object,
    reviewer_id: object,
    account_id: object = None,
) -> dict:
    """Approve or reject a submitted appeal. The state change (and its history
    entry), the audit row, the event and the durable work that follows (recover the
    account and send the SMS, or send the rejection) are one transaction. Raises
    ``InvalidInput`` (``decision_invalid``, ``reason_required``,
    ``reason_too_long``), ``NotFound`` (``case_not_found``), ``Conflict``
    (``case_closed``; ``no_matching_account``: an appeal that matches no account
    cannot be approved), and for an approval ``_approved_account``'s errors:
    ``account_id`` names the recovered account among the candidates. Emits
    ``appeal_approved`` or ``appeal_rejected``."""
    reason = review.checked_decision(decision, reason, reviewer_id)
    if not repo.is_appeal_id(case_id):
        raise review.case_not_found()
    trigger = (
        AppealTrigger.REVIEWER_APPROVED
        if decision == "approve"
        else AppealTrigger.REVIEWER_REJECTED
    )
    session = deps.session
    with session.begin():
        row = repo.get_appeal(session, case_id, for_update=True)
        if row is None:
            raise review.case_not_found()
        if row.state not in APPEAL.sources_of(trigger):
            raise review.case_closed(row.state)
        approved = {}
        if decision == "approve":
            chosen, login_name = _approved_account(deps, row, account_id)
            approved = {"matched_account_id": chosen, "matched_login_name": login_name}
        current = AppealState(row.state)
        target = APPEAL.advance(current, trigger)
        now = deps.clock()
        moved = repo.transition(
            session,
            case_id,
            from_state=current,
            to_state=target,
            trigger=trigger,
            now=now,
            decided_at=now,
            reason=reason,
            **approved,
        )
        if not moved:  # a second guard beside the lock: the row left `submitted`
            raise review.case_closed(repo.get_appeal(session, case_id).state)
        repo.insert_decision(
            session,
            appeal_id=case_id,
            reviewer_id=str(reviewer_id),
            decision=decision,
            reason=reason,
            from_state=current.value,
            to_state=target.value,
            decided_at=now,
            correlation_id=deps.correlation_id,
        )
        updated = repo.get_appeal(session, case_id)
        _follow_up(deps, updated, target)
        decisions = repo.decisions(session, case_id)
    return {
        **review_summary(updated),
        "decisions": [review.decision_record(d) for d in decisions],
    }


def _follow_up(deps: AppealDeps, row, target: AppealState) -> None:
    """The event and the durable work of a decision, in its transaction."""
    common = {
        "correlation_id": deps.correlation_id,
        "parent_call_id": deps.parent_call_id,
    }
    if target == AppealState.APPROVED:
        password = temporary_password()
        enqueue(
            deps.session,
            work_items,
            kind=RECOVER_ACCOUNT,
            ref=row.id,
            # the temporary password, encrypted: the item may run again after a
            # crash and must send the same password it set
            payload={
                "password_enc": base64.b64encode(
                    deps.cipher.encrypt_bytes(password.encode(), password_aad(row.id))
                ).decode()
            },
            **common,
        )
        deps.emit(
            AppealApproved(
                appeal_id=row.id, kind=row.kind, account_id=row.matched_account_id
            )
        )
    else:
        enqueue(deps.session, work_items, kind=NOTIFY_REJECTION, ref=row.id, **common)
        deps.emit(AppealRejected(appeal_id=row.id, kind=row.kind))
    enqueue(
        deps.session,
        work_items,
        kind=PURGE_FILES,
        ref=row.id,
        delay=deps.settings.retention_seconds,
        **common,
    )
