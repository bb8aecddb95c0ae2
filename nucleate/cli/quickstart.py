"""``nucleate quickstart``: the whole tool in one command on the bundled data set."""

from __future__ import annotations

from nucleate.cli.common import add_config_class

add_arguments = add_config_class("nucleate.workflows.quickstart:QuickstartConfig")


def run(cfg) -> dict:
    """Train, predict and report on the bundled data set; see :mod:`nucleate.workflows.quickstart`."""
    from dataclasses import fields

    from nucleate.workflows.quickstart import QuickstartConfig, run_quickstart

    return run_quickstart(
        QuickstartConfig(**{f.name: cfg[f.name] for f in fields(QuickstartConfig)})
    )
