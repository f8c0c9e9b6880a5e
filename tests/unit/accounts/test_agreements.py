"""The agreements: the version registration checks is the one whose text is served."""

from __future__ import annotations

import pytest
from accounts import agreements
from accounts.deps import Settings
from contracts import errors as ce


@pytest.mark.parametrize("kind", ["person", "organization"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_configured_version_has_a_text_in_both_languages(kind, language):
    versions = Settings().agreement_versions
    agreement = agreements.get_agreement(versions, kind, language)
    assert agreement.version == versions[kind]
    assert agreement.kind == kind and agreement.language == language
    assert agreement.title and len(agreement.text) > 200
    if language == "zh-CN":
        assert agreement.title.endswith("实名认证协议")


def test_a_version_without_a_text_is_unavailable_not_a_wrong_text():
    with pytest.raises(ce.Unavailable) as raised:
        agreements.get_agreement({"person": "2099-01"}, "person", "zh-CN")
    assert raised.value.error_code == "agreement_text_missing"
    with pytest.raises(ce.Unavailable):
        agreements.get_agreement({"person": "../2024-01"}, "person", "zh-CN")
