"""The base of every message of the platform: RPC arguments, replies, event payloads.

One pydantic model describes one message once. It checks the message's *shape*
(types, lengths, enums, formats) wherever the message is read: by the gateway
before it calls a service, by the service's ``rpc`` entrypoint when the call
arrives, by a consumer when an event arrives. The *domain* rules (checksums,
uniqueness, cross-field rules) stay in the service that owns them.

A shape error becomes the platform's field error (api.md ``errors[]``): every field
error of the message at once, each with its path (``main_agent.phone``,
``files[0]``), a stable ``code`` and a message:

- a missing field, ``null`` or blank text where a value is required: ``required``;
- a value a field type refuses with a rule of ours (:func:`rule_error`): that
  rule's code (``phone_invalid``, ``sms_code_invalid``...);
- anything else: ``<field>_invalid`` (``login_name_invalid``), or the code
  given to the field with :class:`ErrorCode`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from contracts.errors import InvalidInput, field_error

M = TypeVar("M", bound="Model")

REQUIRED = "required"
VALIDATION_FAILED = "validation_failed"


class Model(BaseModel):
    """A message of the platform's published language.

    Unknown keys are ignored (a newer caller may send more than an older service
    knows). A reply or event is rendered with :meth:`dump`: only the fields that
    were set, so an optional field left out stays out, as the API documents it.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    first_error_on_top: ClassVar[bool] = False
    """Whether a 422 for this message carries its first field error's code on top
    (the otp endpoints' answers) instead of ``validation_failed``."""

    def dump(self) -> dict[str, Any]:
        """The JSON-ready dict of this message: set fields only."""
        return self.model_dump(mode="json", exclude_unset=True)


@dataclass(frozen=True)
class ErrorCode:
    """Field metadata: the code a shape error of this field reports.

    ``Annotated[str, Field(max_length=50), ErrorCode("unit_name_invalid")]``.
    ``when_missing``: a missing value reports this code too, not ``required``.
    """

    code: str
    when_missing: bool = False


def rule_error(code: str, message: str) -> PydanticCustomError:
    """The error a validator of ours raises: reported with ``code`` as is."""
    return PydanticCustomError(code, message, {"code": code})


# --- reusable field types --------------------------------------------------------------


def blank_is_missing(value: Any) -> Any:
    """Blank text counts as not given: ``required`` for a required field, a
    cleared value for an optional one."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _single_line(value: str) -> str:
    value = unicodedata.normalize("NFC", value.strip())
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise ValueError("Control characters are not allowed")
    return value


def Text(max_length: int = 100, min_length: int = 1) -> Any:
    """A trimmed single line of text (NFC), at most ``max_length`` characters."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=min_length, max_length=max_length
        ),
        BeforeValidator(blank_is_missing),
        AfterValidator(_single_line),
    ]


def empty_is_missing(value: Any) -> Any:
    """Empty text counts as not given (a secret is never trimmed: only ``""``)."""
    return None if value == "" else value


Secret = Annotated[
    str, StringConstraints(min_length=1), BeforeValidator(empty_is_missing)
]
"""Text taken exactly as sent (passwords, codes): never trimmed or normalised."""


def _not_text_is_missing(value: Any) -> Any:
    return value if isinstance(value, str) else None


MaybeText = Annotated[
    str | None,
    BeforeValidator(_not_text_is_missing),
    WithJsonSchema({"type": "string"}),
]
"""Text the receiving service checks itself, in its own order: anything that is
not a string arrives as ``None`` (not given), so the service answers its own code
for it (``captcha_required`` before ``required``, a flow's 404 before a field's
422) instead of a shape error answered ahead of those. The published schema says
what a caller must send: a string."""


# --- reading a message -------------------------------------------------------------------


def _path(root: str, loc: Iterable[Any]) -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith("function-"):  # a validator's own step, no field
            path += ("." if path else "") + part
    return path


def _field_code(
    model: type[BaseModel] | None, loc: tuple[Any, ...]
) -> ErrorCode | None:
    """The :class:`ErrorCode` declared on the field at ``loc``, if any."""
    current: Any = model
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        current = _model_inside(info.annotation)
    if info is None:
        return None
    for meta in info.metadata:
        if isinstance(meta, ErrorCode):
            return meta
    return None


def _model_inside(annotation: Any) -> Any:
    """The model class an annotation holds (``Agent | None``, ``list[Agent]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        inner = _model_inside(arg)
        if inner is not None:
            return inner
    return None


def _one(item: dict, model: type[BaseModel] | None, root: str) -> dict:
    loc = tuple(item["loc"])
    names = [root] if root else []
    names += [p for p in loc if isinstance(p, str) and not p.startswith("function-")]
    ctx = item.get("ctx") or {}
    message = item["msg"].removeprefix("Value error, ")
    declared = _field_code(model, loc)
    missing = item["type"] == "missing" or item.get("input") is None
    if missing and not (declared and declared.when_missing):
        code, message = REQUIRED, "This field is required"
    elif ctx.get("code"):
        code = ctx["code"]
    elif declared:
        code = declared.code
    else:
        code = f"{names[-1]}_invalid" if names else VALIDATION_FAILED
    return field_error(_path(root, loc) or "body", code, message)


def field_errors(
    error: ValidationError, model: type[BaseModel] | None = None, root: str = ""
) -> list[dict]:
    """The platform's field errors for a pydantic ``ValidationError``; ``root``
    names the value itself when it is no model (an RPC argument)."""
    return [_one(item, model, root) for item in error.errors(include_url=False)]


def invalid(errors: list[dict], first_on_top: bool = False) -> InvalidInput:
    """The one error for a message with field errors: 422 ``validation_failed``,
    or, for a message that says so, the first field error's code and message."""
    if first_on_top and errors:
        return InvalidInput(errors[0]["code"], errors[0]["message"], {"errors": errors})
    return InvalidInput(
        VALIDATION_FAILED, "Some fields are not valid; see errors.", {"errors": errors}
    )


def parse(model: type[M], data: Any) -> M:
    """``data`` read as ``model``; raises ``InvalidInput`` with every field error.

    A value that already is the model is returned as it is.
    """
    if isinstance(data, model):
        return data
    if not isinstance(data, dict):
        raise invalid([field_error("body", VALIDATION_FAILED, "An object is expected")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        on_top = getattr(model, "first_error_on_top", False)
        raise invalid(field_errors(exc, model), on_top) from None


def dump(value: Any) -> Any:
    """A reply as JSON-ready data: models (also inside lists and dicts) dumped."""
    if isinstance(value, Model):
        return value.dump()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value
