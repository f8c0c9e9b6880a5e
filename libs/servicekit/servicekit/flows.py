"""One state machine for every flow: a state enum, a transition table, ``advance``.

The reset by login name, the appeal and the verification case each declare their
states (a ``StrEnum``), their triggers (a ``StrEnum``) and a table
``{(state, trigger): next state}``; everything else is here, once: the move itself,
the one error for a move the table does not have, and the committed mermaid diagram
read back (or drawn) so a contract test compares any flow with its drawing.

A ``StrEnum`` member hashes and compares as its text, so a state read from a
database row or a JSON document (a plain ``str``) finds its entry in the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)
T = TypeVar("T", bound=StrEnum)

Table = Mapping[tuple[S, T], S]

_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
_ARROW = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(\w+))?\s*$")


class TransitionNotAllowed(Exception):
    """The table has no move for ``trigger`` in ``state`` (a bug or a race lost:
    callers check the state they expect before they advance)."""

    def __init__(self, state: str, trigger: str):
        super().__init__(f"{trigger} is not allowed in {state}")
        self.state = str(state)
        self.trigger = str(trigger)


def advance(table: Table, state: str, trigger: str) -> S:
    """The state ``trigger`` moves ``state`` to in ``table``; raises
    :class:`TransitionNotAllowed` when the table has no such move."""
    try:
        return table[(state, trigger)]  # type: ignore[index]
    except KeyError:
        raise TransitionNotAllowed(state, trigger) from None


@dataclass(frozen=True)
class Flow(Generic[S, T]):
    """A flow's machine: its enums, its table, where it starts and where it ends."""

    states: type[S]
    triggers: type[T]
    transitions: Mapping[tuple[S, T], S]
    initial: S
    final: frozenset[S]
    # States a record may also be created in (drawn ``[*] --> state`` too), for a
    # flow whose new record sometimes continues from an earlier one.
    also_initial: frozenset[S] = frozenset()

    def advance(self, state: S | str, trigger: T | str) -> S:
        """See :func:`advance`."""
        return advance(self.transitions, state, trigger)

    def sources_of(self, trigger: T | str) -> frozenset[S]:
        """The states in which ``trigger`` is allowed."""
        return frozenset(source for source, t in self.transitions if t == trigger)


@dataclass(frozen=True)
class Diagram:
    """What a state diagram draws: arrows ``(from, to, trigger)``, the states an
    arrow from ``[*]`` enters, the states with an arrow to ``[*]``."""

    edges: frozenset[tuple[str, str, str]]
    initial: frozenset[str]
    final: frozenset[str]

    @classmethod
    def of(cls, flow: Flow) -> Diagram:
        """The diagram ``flow``'s table should be drawn as."""
        return cls(
            edges=frozenset(
                (source.value, target.value, trigger.value)
                for (source, trigger), target in flow.transitions.items()
            ),
            initial=frozenset({flow.initial.value})
            | frozenset(s.value for s in flow.also_initial),
            final=frozenset(s.value for s in flow.final),
        )

    @property
    def states(self) -> frozenset[str]:
        return (
            frozenset(s for edge in self.edges for s in edge[:2])
            | self.initial
            | self.final
        )


def read_diagram(path: Path) -> Diagram:
    """The first mermaid ``stateDiagram`` block of a markdown file. Raises
    ``ValueError`` for a file without one, a line that is not an arrow (blank lines
    and ``%%`` comments aside) or an arrow between states without a trigger."""
    block = _MERMAID.search(path.read_text("utf-8"))
    if block is None:
        raise ValueError(f"{path} has no mermaid block")
    lines = block.group(1).splitlines()
    if not lines or not lines[0].strip().startswith("stateDiagram"):
        raise ValueError(f"{path}: the mermaid block is not a stateDiagram")
    edges, initial, final = set(), set(), set()
    for line in lines[1:]:
        match = _ARROW.match(line)
        if match is None:
            if line.strip() and not line.strip().startswith("%%"):
                raise ValueError(f"{path}: not an arrow: {line!r}")
            continue
        source, target, trigger = match.groups()
        if source == "[*]":
            initial.add(target)
        elif target == "[*]":
            final.add(source)
        elif not trigger:
            raise ValueError(f"{path}: an arrow without a trigger: {line!r}")
        else:
            edges.add((source, target, trigger))
    return Diagram(frozenset(edges), frozenset(initial), frozenset(final))


def render_diagram(flow: Flow) -> str:
    """``flow`` as a mermaid block, in table order (to paste into its ``.md``)."""
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {flow.initial.value}"]
    lines += [f"    [*] --> {s.value}" for s in flow.states if s in flow.also_initial]
    lines += [
        f"    {source.value} --> {target.value}: {trigger.value}"
        for (source, trigger), target in flow.transitions.items()
    ]
    lines += [f"    {s.value} --> [*]" for s in flow.states if s in flow.final]
    return "\n".join([*lines, "```"]) + "\n"


def diagram_differences(flow: Flow, path: Path) -> list[str]:
    """What the committed diagram at ``path`` draws differently from ``flow``'s
    table (empty when they agree): a test asserts it is empty."""
    drawn, table = read_diagram(path), Diagram.of(flow)
    problems = [
        f"drawn, not in the table: {e}" for e in sorted(drawn.edges - table.edges)
    ]
    problems += [
        f"in the table, not drawn: {e}" for e in sorted(table.edges - drawn.edges)
    ]
    if drawn.initial != table.initial:
        problems.append(
            f"initial: drawn {sorted(drawn.initial)}, are {sorted(table.initial)}"
        )
    if drawn.final != table.final:
        problems.append(
            f"final: drawn {sorted(drawn.final)}, are {sorted(table.final)}"
        )
    every = {s.value for s in flow.states}
    if drawn.states != every:
        problems.append(f"states: drawn {sorted(drawn.states)}, are {sorted(every)}")
    if problems:
        problems.append("the table drawn:\n" + render_diagram(flow))
    return problems
