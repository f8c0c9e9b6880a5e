"""The ticket validation answers of CAS Protocol 3.0 (§2.5-2.6, Appendix A and
the JSON form of §2.5.2): ``<cas:serviceResponse>`` in XML (the default) or
``{"serviceResponse": ...}`` with ``format=JSON``.

The CAS 2.0 endpoint (``/cas/serviceValidate``) answers without attributes, as
CAS 2.0 defines it; the CAS 3.0 one (``/cas/p3/serviceValidate``) puts them in
``cas:attributes``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from contracts.sso_cas import (
    CasFailure,
    CasJsonAnswer,
    CasJsonResponse,
    CasJsonSuccess,
    CasValidation,
)

NAMESPACE = "http://www.yale.edu/tp/cas"
XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# an attribute's name is an XML element name after ``cas:``
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def failure(code: str, description: str) -> CasValidation:
    return CasValidation(failure=CasFailure(code=code, description=description))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _attributes(validation: CasValidation, with_attributes: bool) -> dict[str, Any]:
    if not with_attributes:
        return {}
    return {
        k: v for k, v in validation.attributes.items() if ATTRIBUTE_NAME.fullmatch(k)
    }


def as_xml(validation: CasValidation, with_attributes: bool = True) -> str:
    lines = [f'<cas:serviceResponse xmlns:cas="{NAMESPACE}">']
    if validation.failure is not None:
        code, description = validation.failure.code, validation.failure.description
        lines.append(
            f"  <cas:authenticationFailure code={quoteattr(code)}>"
            f"{escape(description)}</cas:authenticationFailure>"
        )
    else:
        lines += [
            "  <cas:authenticationSuccess>",
            f"    <cas:user>{escape(validation.user or '')}</cas:user>",
        ]
        attributes = _attributes(validation, with_attributes)
        if attributes:
            lines.append("    <cas:attributes>")
            lines += [
                f"      <cas:{name}>{escape(_text(value))}</cas:{name}>"
                for name, value in attributes.items()
            ]
            lines.append("    </cas:attributes>")
        lines.append("  </cas:authenticationSuccess>")
    lines.append("</cas:serviceResponse>")
    return "\n".join(lines) + "\n"


def as_json(validation: CasValidation, with_attributes: bool = True) -> str:
    if validation.failure is not None:
        answer = CasJsonAnswer(authenticationFailure=validation.failure)
    else:
        success = CasJsonSuccess(user=validation.user or "")
        attributes = _attributes(validation, with_attributes)
        if attributes:
            success.attributes = attributes
        answer = CasJsonAnswer(authenticationSuccess=success)
    body = CasJsonResponse(serviceResponse=answer).dump()
    return json.dumps(body, ensure_ascii=False)


def render(validation: CasValidation, fmt: str | None, with_attributes: bool):
    """``(content type, body)``: JSON when ``format=JSON``, else XML."""
    if (fmt or "").upper() == "JSON":
        return JSON_TYPE, as_json(validation, with_attributes)
    return XML_TYPE, as_xml(validation, with_attributes)
