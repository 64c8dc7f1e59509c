"""The docs say what is true: generated pages are current, links resolve, the README is short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import docs

ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", sorted(docs.PAGES))
def test_generated_page_is_current(page: str) -> None:
    path = docs.PAGES[page]
    assert path.read_text(encoding="utf-8") == docs.generate()[page], (
        f"{path.relative_to(ROOT)} is stale: run `python -m tools.docs` and commit it"
    )


def test_configuration_page_lists_every_variable() -> None:
    from core.settings import Settings

    text = docs.PAGES["configuration"].read_text(encoding="utf-8")
    missing = [v for v in Settings.variables() if f"`{v}`" not in text]
    assert not missing


def test_readme_is_short_and_every_relative_link_resolves() -> None:
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= 150
    broken = []
    for page in [readme, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in _LINK.findall(page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken
