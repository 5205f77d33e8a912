#!/usr/bin/env python
"""Compute a dataset's statistics: the same as ``augkit stats DIR --out stats.json ...``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from augkit.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["stats", *sys.argv[1:]]))
