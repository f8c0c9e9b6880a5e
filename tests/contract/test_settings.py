"""One settings object per service: config.yml keeps Nameko's and servicekit's keys
only, each service setting is declared once (its class) and documented with the
default the class has."""

from __future__ import annotations

import re

import pytest

from tests.contract.service_settings import (
    KIT_KEYS,
    ROOT,
    SETTINGS_CLASSES,
    config_yml_keys,
    settings_class,
)

DOCS = [ROOT / "deploy" / "README.md"] + [
    ROOT / "services" / service / "README.md" for service in SETTINGS_CLASSES
]


@pytest.mark.parametrize("service", sorted(SETTINGS_CLASSES))
def test_config_yml_keeps_only_nameko_s_and_servicekit_s_keys(service):
    extra = config_yml_keys(service) - KIT_KEYS
    assert not extra, (
        f"{service}/config.yml holds {sorted(extra)}: declare them in "
        f"{SETTINGS_CLASSES[service]} (one default, read from the environment)"
    )


@pytest.mark.parametrize("service", sorted(SETTINGS_CLASSES))
def test_no_setting_is_declared_twice(service):
    twice = config_yml_keys(service) & set(settings_class(service).defaults())
    assert not twice, f"{service}: {sorted(twice)} in config.yml and the class"


def documented_defaults() -> dict[str, str]:
    """``variable -> default cell`` from every settings table of the docs (the
    column whose header says "default"; "a, b | 1, 2" rows give each its own)."""
    found: dict[str, str] = {}
    for path in DOCS:
        column = None
        for line in path.read_text().splitlines():
            if not line.startswith("|"):
                column = None
                continue
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if column is None:
                heads = [cell.lower() for cell in cells]
                column = next(
                    (i for i, head in enumerate(heads) if "default" in head), -1
                )
                continue
            if column < 1 or len(cells) <= column or not cells[0].startswith("`"):
                continue
            names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
            values = re.split(r",\s+|\s+/\s+", cells[column])
            if len(names) == 1:
                values = [cells[column]]
            if len(values) == len(names):
                for name, value in zip(names, values, strict=True):
                    found.setdefault(name, value)
    return found


def same(documented: str, default) -> bool | None:
    """Whether a documented default says ``default``; None when the cell is prose
    ("a published dev key") that no value can be read from."""
    text = re.sub(r"\s*\(.*\)$", "", documented).strip().strip("`")
    if isinstance(default, bool):
        return text.lower() == str(default).lower()
    if isinstance(default, int | float):
        try:
            return float(text) == float(default)
        except ValueError:
            return None
    if text == "empty":
        return default == ""
    return None if " " in text else text == str(default)


@pytest.mark.parametrize("service", sorted(SETTINGS_CLASSES))
def test_the_docs_state_each_default_the_class_has(service):
    documented = documented_defaults()
    wrong, missing = [], []
    for name, default in settings_class(service).defaults().items():
        if name not in documented:
            missing.append(name)
        elif same(documented[name], default) is False:
            wrong.append(f"{name}: docs say {documented[name]!r}, class {default!r}")
    assert not missing, f"{service}: not in any settings table: {missing}"
    assert not wrong, f"{service}: " + "; ".join(wrong)
