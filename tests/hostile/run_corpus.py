"""The long run: every case of the corpus (large ones included) through every tool.

``python -m tests.hostile.run_corpus [FOLDER] [--jobs N]`` prints one line per case and
tool, then every broken rule; exit 1 when one is broken (cases marked known are listed
apart and do not fail the run).
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.hostile.corpus import TOOLS, make, problems, run_case, run_tools


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--small", action="store_true", help="leave the large cases out")
    parser.add_argument(
        "--shared", action="store_true", help="one process per case, not per tool (faster)"
    )
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="h5layout-corpus-"))
    cases = make(folder, large=not args.small)
    broken: list[str] = []
    known: list[str] = []

    def one(case: Path) -> list[str]:
        work = folder / "work" / case.stem
        if args.shared:
            results = run_tools(case, list(TOOLS), work)
        else:
            results = {t: run_case(case, t, work / t) for t in TOOLS}
        for tool, r in results.items():
            detail = r.get("error") or ",".join(r.get("codes", []))
            print(f"{case.stem:32} {tool:15} {r['outcome']:10} {detail}", flush=True)
        return problems(case, results)

    with ThreadPoolExecutor(args.jobs) as pool:
        for found in pool.map(one, cases):
            for p in found:
                (known if p.startswith("KNOWN") else broken).append(p)
    print(f"\n{len(cases)} cases x {len(TOOLS)} tools in {folder}")
    for p in known:
        print("  " + p)
    for p in broken:
        print("BROKEN " + p)
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
