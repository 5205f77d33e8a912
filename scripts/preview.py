#!/usr/bin/env python3
"""Render a preview grid: the same code as ``augkit preview`` (see ``augkit preview --help``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from augkit.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["preview", *sys.argv[1:]]))
