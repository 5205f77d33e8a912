#!/usr/bin/env python
"""Side-by-side benchmark of augkit and its peers; the same as ``augkit bench`` (see augkit/bench/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from augkit.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
