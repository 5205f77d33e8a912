"""``python -m augkit``: the ``augkit`` command line."""

import sys

from augkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
