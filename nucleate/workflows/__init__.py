"""What drives several layers at once: the quickstart (generate, train, select, predict, report)."""
