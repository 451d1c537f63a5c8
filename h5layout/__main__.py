"""``python -m h5layout``."""

from h5layout.cli.main import main

raise SystemExit(main())
