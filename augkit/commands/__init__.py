"""Subcommands of the ``augkit`` command line, one module each."""
