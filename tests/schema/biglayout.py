"""Large generated layouts: the bounded-work test and the merge benchmark.

``python -m tests.schema.biglayout [N ...]`` times ``check_layout`` and
``load_layout_spec`` on a layout of N node types (default 8000) that extends ``pymodaq``,
includes a fragment holding half of its node types, overrides them and removes some.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def write_big_layout(n: int, folder: Path) -> Path:
    """Write a layout of ``n`` node types (and its fragment) into ``folder``; its path."""
    half = n // 2
    frag = ["groups:"]
    for i in range(half):
        frag += [
            f"  g{i}:",
            f"    name: G{i}_{{index:03d}}",
            "    attrs:",
            f"      a: {{type: str, required: true, description: attribute {i}}}",
            "      b: {type: float, minimum: 0, maximum: 10, units: K}",
        ]
    (folder / "fragment.yaml").write_text("\n".join(frag) + "\n", encoding="utf-8")
    main = [
        "layout: big",
        "version: '1'",
        "extends: pymodaq",
        "include: [fragment.yaml]",
        "remove: [groups.g0.attrs.b]",
        "groups:",
        "  raw:",
        "    children:",
    ]
    main += [f"      g{i}: {{}}" for i in range(n)]
    for i in range(half):  # overrides merged into the fragment's node types
        main += [f"  g{i}:", "    attrs:", "      c: {type: str, enum: [x, y, z]}"]
    for i in range(half, n):
        main += [
            f"  g{i}:",
            f"    name: G{i}_{{index:03d}}",
            "    attrs:",
            f"      a: {{type: str, required: true, description: attribute {i}}}",
            "      c: {type: str, enum: [x, y, z], default: x}",
        ]
    path = folder / "big.yaml"
    path.write_text("\n".join(main) + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> None:
    """Time checking and lowering layouts of the given sizes."""
    from h5layout.schema import check_layout, load_layout_spec

    for n in [int(a) for a in argv] or [8000]:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_big_layout(n, Path(tmp))
            size = path.stat().st_size + (Path(tmp) / "fragment.yaml").stat().st_size
            t0 = time.perf_counter()
            problems = check_layout(path)
            t1 = time.perf_counter()
            load_layout_spec(path)
            t2 = time.perf_counter()
            print(
                f"{n:>7} node types, {size / 1e6:6.2f} MB: check {t1 - t0:6.2f} s, "
                f"load_layout_spec {t2 - t1:6.2f} s, {len(problems)} problems"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
