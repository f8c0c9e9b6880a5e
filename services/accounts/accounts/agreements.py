"""The registration agreements (自然人实名认证协议, 法人实名认证协议): their text
and the version a registration must accept.

The version is the setting (``PERSON_AGREEMENT_VERSION``,
``ORGANIZATION_AGREEMENT_VERSION``) that registration checks; the text is the file
``agreements/<version>/<kind>.<language>.txt`` shipped with the service (first
line: the title; then the text). A new version is a new folder and a new setting.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from contracts import errors as ce
from contracts.accounts import Agreement

TEXTS = Path(__file__).parent / "agreements"


@lru_cache(maxsize=32)
def _read(version: str, kind: str, language: str) -> tuple[str, str] | None:
    path = TEXTS / version / f"{kind}.{language}.txt"
    if "/" in version or ".." in version or not path.is_file():
        return None
    title, _, text = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), text.strip()


def get_agreement(versions: dict[str, str], kind: str, language: str) -> Agreement:
    """The current agreement of ``kind`` in ``language``; ``Unavailable`` when
    the deployment names a version whose text is not shipped."""
    version = versions[kind]
    found = _read(version, kind, language)
    if found is None:
        raise ce.Unavailable(
            "agreement_text_missing",
            f"The text of agreement {kind} {version} ({language}) is not installed.",
        )
    title, text = found
    return Agreement(
        kind=kind, version=version, language=language, title=title, text=text
    )
