import sys

from nucleate.cli import run

sys.exit(run())
