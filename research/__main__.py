"""``python -m research`` is the ``research`` command."""

from research.cli import main

raise SystemExit(main())
