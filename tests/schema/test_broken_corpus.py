"""Error messages are API: every broken layout gives exactly its expected problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from h5layout.runtime.errors import LayoutSpecError
from h5layout.schema import check_layout, load_layout_spec

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p.name for p in BROKEN.glob("*.yaml"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert (BROKEN / case).with_suffix(".expected").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_broken_layout_messages(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)  # messages name files as given, relative to here
    expected = Path(case).with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    got = [str(p) for p in check_layout(case)]
    assert got == expected
    assert got, "a broken layout must report at least one problem"
    with pytest.raises(LayoutSpecError) as info:
        load_layout_spec(case)
    assert [str(p) for p in info.value.problems] == expected
    assert str(info.value) == "\n".join(expected)


@pytest.mark.parametrize("case", CASES)
def test_problem_fields(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    for p in check_layout(case):
        assert p.line >= 1 and p.column >= 1
        assert p.code and p.code == p.code.lower()
        assert (BROKEN / p.file).is_file() or p.file.startswith("h5layout/layouts/")


def test_files_that_are_not_layouts_are_never_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    for case in ("46_include_system_file.yaml", "47_include_not_a_layout.yaml"):
        text = "\n".join(str(p) for p in check_layout(case))
        for secret in ("hunter2", "0123456789abcdef", "ELF", "saltsalt", "root:", "unterminated"):
            assert secret not in text, (case, secret)


@pytest.mark.parametrize("case", CASES)
def test_messages_use_the_layout_language(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # no pydantic wording or model class names: what the layout expects, in its own words
    monkeypatch.chdir(BROKEN)
    for p in check_layout(case):
        for word in ("instance of", "input should", "Attr", "Group", "Child", "Storage"):
            assert word not in p.message, (case, p.message)
