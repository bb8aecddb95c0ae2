"""``python -m nucleate.cli``, as ``nucleate``."""

import sys

from nucleate.cli import run

if __name__ == "__main__":
    sys.exit(run())
