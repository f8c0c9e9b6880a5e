"""Each committed state diagram draws exactly its flow's transition table."""

from __future__ import annotations

import re
from pathlib import Path

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
