"""``python -m nucleate.cli``, as ``nucleate``."""

import sys

from nucleate.cli import main

if __name__ == "__main__":
    sys.exit(main())
