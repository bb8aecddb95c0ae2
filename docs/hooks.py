"""MkDocs hooks: table and include directives (see tables.py) and the repository's figures.

Figures of the data and model cards (data/*/figures/*.png, models/**/*.png) are served at their
repository paths, so a page links them as ``models/lj-fcc-v1/cnn/parity.png`` from the site root,
without copies in docs/.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).parent))
import tables

FIGURES = ("data/*/figures/*.png", "models/**/*.png")


def on_files(files, config):
    """Add the cards' figures to the site, at their paths in the repository."""
    for pattern in FIGURES:
        for path in sorted(tables.ROOT.glob(pattern)):
            rel = path.relative_to(tables.ROOT).as_posix()
            if files.get_file_from_path(rel) is None:
                files.append(
                    File(rel, str(tables.ROOT), config["site_dir"], config["use_directory_urls"])
                )
    return files


def on_page_markdown(markdown, page, config, files):
    """Replace the directives by the tables and files they stand for."""
    return tables.expand(markdown)
