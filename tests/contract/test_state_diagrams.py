"""Each committed state diagram draws exactly its flow's transition table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from recovery import flow as recovery_flow
from verification import flow

ROOT = Path(__file__).resolve().parents[2]
ARROW = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(\w+))?\s*$")


def diagram_edges(path: Path) -> tuple[set[tuple[str, str, str]], set[str], set[str]]:
    """(transitions, initial states, final states) of the mermaid stateDiagram."""
    text = path.read_text("utf-8")
    block = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert block, f"{path} has no mermaid block"
    lines = block.group(1).splitlines()
    assert lines[0].strip().startswith("stateDiagram"), "not a stateDiagram"
    edges, initial, final = set(), set(), set()
    for line in lines[1:]:
        match = ARROW.match(line)
        if not match:
            assert not line.strip() or line.strip().startswith("%%"), line
            continue
        source, target, trigger = match.groups()
        if source == "[*]":
            initial.add(target)
        elif target == "[*]":
            final.add(source)
        else:
            assert trigger, f"an arrow without a trigger: {line!r}"
            edges.add((source, target, trigger))
    return edges, initial, final


def test_verification_case_diagram_matches_the_transition_table():
    path = ROOT / "services/verification/verification/case_states.md"
    edges, initial, final = diagram_edges(path)
    table = {
        (source.value, target.value, trigger.value)
        for (source, trigger), target in flow.TRANSITIONS.items()
    }
    assert edges == table
    assert initial == {flow.INITIAL.value}
    assert final == {s.value for s in flow.FINAL}
    drawn = {s for e in edges for s in e[:2]} | initial | final
    assert drawn == {s.value for s in flow.CaseStatus}


@pytest.mark.parametrize(
    "diagram, table, initial_state, final_states, states",
    [
        (
            "reset_states.md",
            recovery_flow.RESET_TRANSITIONS,
            recovery_flow.RESET_INITIAL,
            recovery_flow.RESET_FINAL,
            recovery_flow.ResetState,
        ),
        (
            "appeal_states.md",
            recovery_flow.APPEAL_TRANSITIONS,
            recovery_flow.APPEAL_INITIAL,
            recovery_flow.APPEAL_FINAL,
            recovery_flow.AppealStatus,
        ),
    ],
)
def test_recovery_diagrams_match_their_transition_tables(
    diagram, table, initial_state, final_states, states
):
    edges, initial, final = diagram_edges(ROOT / "services/recovery/recovery" / diagram)
    assert edges == {
        (source.value, target.value, trigger.value)
        for (source, trigger), target in table.items()
    }
    assert initial == {initial_state.value}
    assert final == {s.value for s in final_states}
    drawn = {s for e in edges for s in e[:2]} | initial | final
    assert drawn == {s.value for s in states}
