"""servicekit.flows: one advance for every flow, one error for an illegal move."""

from __future__ import annotations

from enum import StrEnum

import pytest
from servicekit.flows import Flow, TransitionNotAllowed, advance


class Door(StrEnum):
    OPEN = "open"
    SHUT = "shut"
    LOCKED = "locked"


class Push(StrEnum):
    CLOSE = "close"
    LOCK = "lock"


DOOR = Flow(
    states=Door,
    triggers=Push,
    transitions={
        (Door.OPEN, Push.CLOSE): Door.SHUT,
        (Door.SHUT, Push.LOCK): Door.LOCKED,
    },
    initial=Door.OPEN,
    final=frozenset({Door.LOCKED}),
)


def test_a_move_in_the_table_answers_the_enum_even_for_stored_text():
    assert DOOR.advance("open", "close") is Door.SHUT
    assert advance(DOOR.transitions, Door.SHUT, Push.LOCK) is Door.LOCKED


@pytest.mark.parametrize(
    "state, trigger", [("open", "lock"), ("locked", "close"), ("ajar", "close")]
)
def test_a_move_not_in_the_table_raises_one_error(state, trigger):
    with pytest.raises(TransitionNotAllowed) as refused:
        DOOR.advance(state, trigger)
    assert (refused.value.state, refused.value.trigger) == (state, trigger)


def test_sources_of_a_trigger():
    assert DOOR.sources_of(Push.LOCK) == {Door.SHUT}
