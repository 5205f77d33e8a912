"""The ``augkit`` command: one entry point, a subcommand per job.

Each subcommand lives in ``augkit/commands/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches. Only the chosen subcommand's module is
imported, so ``augkit --help`` and ``augkit --version`` return at once (no torch).

SIGTERM (what schedulers, ``timeout`` and containers send) is handled like Ctrl-C in every
subcommand: the command stops cleanly, its worker processes are shut down, and the exit
status is 143 (130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

import augkit

#: Subcommand name -> (module, one-line help).
COMMANDS = {
    "demo": ("augkit.commands.demo", "run the README's main job on the bundled samples"),
    "preview": ("augkit.commands.preview", "render a captioned grid of augmented variants of images"),
    "stats": ("augkit.commands.stats", "compute a dataset's exact mean, std, covariance and mean image"),
    "pack": ("augkit.commands.pack", "write an image folder or list as WebDataset tar shards, optionally smaller"),
    "bench": ("augkit.commands.bench", "benchmark augkit against torchvision and albumentations side by side"),
}

#: Exit statuses of an interrupted command, as a shell reports a process killed by the signal.
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM.

    A ``KeyboardInterrupt`` subclass, so every clean-up path written for Ctrl-C (atomic
    writes, worker shutdown, "nothing written" messages) runs for SIGTERM too.
    """


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the argument parser.

    Args:
        command: The subcommand whose options are added (its module is imported); None
            adds every subcommand's options.

    Returns:
        The parser; each subcommand's namespace carries ``run``.
    """
    parser = argparse.ArgumentParser(prog="augkit", description=augkit.__doc__)
    parser.add_argument("--version", action="version", version=f"augkit {augkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        subparser = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(subparser)
            subparser.set_defaults(run=module.run)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """Return the subcommand named in ``argv`` (the first argument that is not an option)."""
    for argument in argv:
        if not argument.startswith("-"):
            return argument if argument in COMMANDS else None
    return None


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(f"received signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``augkit`` command line; return the exit status.

    Args:
        argv: The arguments after the program name; None reads ``sys.argv``.

    Returns:
        0 on success; the subcommand's status otherwise (2 for bad options, 130 after
        Ctrl-C, 143 after SIGTERM).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(argv)
    args = build_parser(command or "").parse_args(argv)
    installed, previous = _handle_sigterm()
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt as error:
        print(f"augkit {args.command}: {'terminated' if isinstance(error, Terminated) else 'interrupted'}", file=sys.stderr)
        return interrupted_status(error)
    finally:
        if installed:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def interrupted_status(error: KeyboardInterrupt) -> int:
    """Return the exit status for an interrupted command: 143 after SIGTERM, 130 after Ctrl-C."""
    return EXIT_SIGTERM if isinstance(error, Terminated) else EXIT_SIGINT


def _handle_sigterm() -> tuple[bool, Any]:
    """Make SIGTERM raise ``Terminated`` (main thread only); return ``(installed, previous handler)``."""
    try:
        return True, signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread of the main interpreter: leave signals alone
        return False, None


if __name__ == "__main__":
    sys.exit(main())
