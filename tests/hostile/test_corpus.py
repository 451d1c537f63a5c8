"""The hostile-file corpus, bounded: every small case through every tool, one child
process per case (the long run, one process per tool and the large cases too, is
``python -m tests.hostile.run_corpus``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.corpus import CASES, TOOLS, make, problems, run_tools

SMALL = [c.name for c in CASES if not c.large]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The small cases, and every tool's results on each (child processes, 4 at a time)."""
    folder = tmp_path_factory.mktemp("corpus")
    make(folder)

    def one(name: str) -> dict[str, Any]:
        return run_tools(folder / f"{name}.h5", list(TOOLS), folder / "work" / name, timeout=300)

    with ThreadPoolExecutor(4) as pool:
        results = dict(zip(SMALL, pool.map(one, SMALL), strict=True))
    return folder, results


@pytest.mark.parametrize("name", SMALL)
def test_case(corpus: tuple[Path, dict[str, Any]], name: str) -> None:
    folder, results = corpus
    found = problems(folder / f"{name}.h5", results[name])
    broken = [p for p in found if not p.startswith("KNOWN")]
    assert not broken, "\n".join(broken)


def _structure(path: Path) -> list[tuple[str, ...]]:
    import h5py

    out: list[tuple[str, ...]] = []
    with h5py.File(path, "r") as f:
        out.append(("/", *sorted(f.attrs)))

        def visit(name: str, obj: Any) -> None:
            kind = f"{obj.shape} {obj.dtype}" if isinstance(obj, h5py.Dataset) else "group"
            out.append((name, kind, *sorted(obj.attrs)))

        f.visititems(visit)
    return out


def test_generator_is_deterministic(tmp_path: Path) -> None:
    names = ["code_in_attributes", "malicious_pickles", "soft_link_loops"]
    a = make(tmp_path / "a", only=names)
    b = make(tmp_path / "b", only=names)
    assert [p.name for p in a] == [p.name for p in b] == [f"{n}.h5" for n in names]
    for x, y in zip(a, b, strict=True):
        # the same nodes, attributes, shapes and types (savers stamp the date and time)
        assert _structure(x) == _structure(y)
        assert (
            x.with_suffix(".expected.json").read_text()
            == y.with_suffix(".expected.json").read_text()
        )


def test_a_payload_that_runs_is_seen(corpus: tuple[Path, dict[str, Any]]) -> None:
    # Raw PyTables unpickles the planted attribute: the harness must notice (the rule
    # "no payload ran" can fail).
    import subprocess
    import sys

    from tests.hostile.corpus import CANARY

    folder, _results = corpus
    work = folder / "work" / "raw_tables"
    work.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys, tables\nwith tables.open_file(sys.argv[1]) as f:\n    f.root._v_attrs.evil\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(folder / "malicious_pickles.h5")],
        cwd=work,
        capture_output=True,
        timeout=120,
    )
    assert (work / CANARY).exists()
