"""servicekit.typed reads a plain argument through its whole annotation, the rules
an ``Annotated`` type carries included (not only the bare type)."""

from __future__ import annotations

from typing import Annotated

import pytest
from contracts.errors import InvalidInput
from contracts.models import rule_error
from pydantic import AfterValidator
from servicekit.typed import typed


def _shout(value: str) -> str:
    if not value.isupper():
        raise rule_error("not_loud", "say it louder")
    return value + "!"


Loud = Annotated[str, AfterValidator(_shout)]


@typed
def echo(word: Loud) -> str:
    return word


def test_an_annotated_rule_runs_and_its_result_is_passed_on():
    assert echo("HEY") == "HEY!"
    with pytest.raises(InvalidInput) as caught:
        echo("hey")
    assert caught.value.error_code == "not_loud"
