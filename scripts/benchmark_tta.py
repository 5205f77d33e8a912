"""Side-by-side benchmark of the 50-view test-time protocol (see ``augkit/bench_tta.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's augkit

from augkit.bench_tta import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
