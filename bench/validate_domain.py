"""Validating HSDS domains: ``python -m bench.validate_domain [--nodes N] [--repeats R]``.

Starts its own loopback HSDS server (``tests/hsds_server.py``), copies a golden scan
(17 nodes) and a PyMoDAQ-layout file of about ``--nodes`` nodes (scenario F's maker) into
domains, and times ``validate_domain`` (the checker through the h5pyd backend's metadata
walk: one request per object) against ``validate_file`` on the local file, same findings
checked. Prints the median of ``--repeats`` runs of each, in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hsds_server import TEST_FOLDER, create_folder, start_hsds, stop_hsds  # noqa: E402

GOLDEN = ROOT.parent / "shared" / "golden" / "scan2d_h5py.h5"


def main(argv: list[str] | None = None) -> int:
    """Run the figures; 0 when the domain and the local file give the same findings."""
    ap = argparse.ArgumentParser(prog="python -m bench.validate_domain", description=__doc__)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    from bench.validate_ import make_file
    from h5layout.runtime.check.domains import Target, validate_domain
    from h5layout.runtime.check.validate import validate_file
    from h5layout.runtime.storage.backends import get_backend
    from h5layout.runtime.tools.copy import copy_file

    same = True
    with tempfile.TemporaryDirectory(prefix="h5layout-bench-dom-") as tmp:
        server = start_hsds(Path(tmp) / "srv")
        try:
            os.environ.update(
                HS_ENDPOINT=server.endpoint,
                HS_USERNAME=server.username,
                HS_PASSWORD=server.password,
            )
            create_folder(server, TEST_FOLDER)
            get_backend("h5pyd").set_server(**server.h5pyd_kwargs)  # type: ignore[attr-defined]
            big = Path(tmp) / "nodes.h5"
            count = make_file(big, args.nodes)
            files = [(GOLDEN, "golden scan2d"), (big, f"{count} nodes")] if GOLDEN.is_file() else []
            files = files or [(big, f"{count} nodes")]
            print(f"{'file':16s} {'domain ms':>10s} {'local ms':>10s} {'ratio':>7s}")
            for path, label in files:
                domain = f"{TEST_FOLDER}bench_{uuid.uuid4().hex[:8]}.h5"
                copy_file(path, domain, backend="h5pyd", validate=False)
                target = Target(domain, "h5pyd")
                validate_domain(target)  # the layout found once, the connection made
                remote, local = [], []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    r = validate_domain(target)
                    remote.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    lr = validate_file(path)
                    local.append(time.perf_counter() - t0)
                    same &= [f.to_dict() for f in r.findings] == [f.to_dict() for f in lr.findings]
                d, lo = statistics.median(remote) * 1e3, statistics.median(local) * 1e3
                print(f"{label:16s} {d:10.1f} {lo:10.1f} {d / lo:7.1f}")
        finally:
            stop_hsds(server)
    print("same findings" if same else "FINDINGS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
