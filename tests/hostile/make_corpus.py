"""Write the hostile-file corpus: ``python tests/hostile/make_corpus.py FOLDER [--large]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.hostile.corpus import make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--large", action="store_true", help="add the large cases")
    args = parser.parse_args()
    for path in make(args.folder, large=args.large):
        print(path)


if __name__ == "__main__":
    main()
