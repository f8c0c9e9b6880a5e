"""Each committed state diagram draws exactly its flow's transition table."""

from __future__ import annotations

from pathlib import Path

import pytest
from recovery import flow as recovery_flow
from servicekit.flows import Diagram, Flow, diagram_differences, read_diagram
from verification import flow as verification_flow

ROOT = Path(__file__).resolve().parents[2]

DIAGRAMS = [
    (recovery_flow.RESET, "services/recovery/recovery/reset_states.md"),
    (recovery_flow.APPEAL, "services/recovery/recovery/appeal_states.md"),
    (verification_flow.CASE, "services/verification/verification/case_states.md"),
]


@pytest.mark.parametrize("flow, diagram", DIAGRAMS, ids=[path for _, path in DIAGRAMS])
def test_the_diagram_draws_the_transition_table(flow: Flow, diagram: str):
    assert diagram_differences(flow, ROOT / diagram) == []


def test_a_drifted_table_is_caught(tmp_path):
    """The comparison itself: a table with one move more than its drawing fails."""
    committed = ROOT / DIAGRAMS[1][1]
    drifted = Flow(
        states=recovery_flow.AppealState,
        triggers=recovery_flow.AppealTrigger,
        transitions={
            **recovery_flow.APPEAL.transitions,
            (
                recovery_flow.AppealState.APPROVED,
                recovery_flow.AppealTrigger.REVIEWER_REJECTED,
            ): recovery_flow.AppealState.REJECTED,
        },
        initial=recovery_flow.APPEAL.initial,
        final=recovery_flow.APPEAL.final,
    )
    problems = diagram_differences(drifted, committed)
    assert problems[0] == (
        "in the table, not drawn: ('approved', 'rejected', 'reviewer_rejected')"
    )
    redrawn = tmp_path / "drifted.md"
    redrawn.write_text(problems[-1].split("\n", 1)[1], "utf-8")
    assert read_diagram(redrawn) == Diagram.of(drifted)
