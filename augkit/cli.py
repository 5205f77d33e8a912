"""The ``augkit`` command: one entry point, a subcommand per job.

Each subcommand lives in ``augkit/commands/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import augkit

#: Subcommand name -> (module, one-line help).
COMMANDS = {
    "demo": ("augkit.commands.demo", "run the README's main job on the bundled samples"),
    "preview": ("augkit.commands.preview", "render a captioned grid of augmented variants of images"),
    "stats": ("augkit.commands.stats", "compute a dataset's exact mean, std, covariance and mean image"),
    "bench": ("augkit.commands.bench", "benchmark augkit against torchvision and albumentations side by side"),
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="augkit", description=augkit.__doc__)
    parser.add_argument("--version", action="version", version=f"augkit {augkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``augkit`` command line; return the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
