"""One command line for Parley's core: ``python -m core <subcommand> ...``.

Adding a subcommand (one small edit here, the rest in your own module):

1. In your module ``core/<mod>.py`` write::

       def register_cli(sub):                       # sub: argparse "subparsers" object
           p = sub.add_parser("my-cmd", help="one line shown in `python -m core -h`")
           p.add_argument(...)
           p.set_defaults(func=_run_my_cmd)          # _run_my_cmd(args) -> int exit code

   Keep heavy imports (torch, matplotlib) inside ``_run_my_cmd`` so ``-h`` and other commands
   stay fast.
2. Add ``"<mod>"`` to ``COMMAND_MODULES`` below.

Error contract: user errors -- ``CliError``, any ``ValueError`` (``core.audio.AudioError`` is one),
``FileNotFoundError``/``PermissionError`` -- print ``parley <cmd>: error: <message>`` on stderr and
exit with status 2, without a traceback (``--debug`` or ``PARLEY_DEBUG=1`` shows it). Anything else
is a bug and propagates with its traceback. A module in the list that fails to import does not take
the other subcommands down: it is reported on stderr when ``-h`` is shown or a command is unknown.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

#: Modules of this package that contribute subcommands through ``register_cli(sub)``.
COMMAND_MODULES: tuple[str, ...] = (
    "audio",
    "demo",
    "corpus",
    "model",
    "choreography",
    "alignment",
    "evaluation",
)

PROG = "python -m core"


class CliError(Exception):
    """A user-facing error: message on stderr, exit status 2."""


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    """The full parser, and the list of 'module: error' strings for modules that failed to load."""
    parser = argparse.ArgumentParser(prog=PROG, description="Parley core tools (speech -> facial animation).")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for user errors too")
    sub = parser.add_subparsers(dest="command", metavar="<subcommand>")
    broken = []
    for mod in COMMAND_MODULES:
        try:
            module = importlib.import_module(f".{mod}", __package__)
            module.register_cli(sub)
        except Exception as exc:  # one broken feature must not hide the others
            broken.append(f"core.{mod}: {type(exc).__name__}: {exc}")
    return parser, broken


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, broken = build_parser()
    if broken and (not argv or argv[0] in ("-h", "--help") or argv[0] not in _known(parser)):
        for b in broken:
            print(f"parley: warning: subcommands of {b} are unavailable", file=sys.stderr)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or os.environ.get("PARLEY_DEBUG", "") not in ("", "0")
    try:
        return int(args.func(args) or 0)
    except (CliError, ValueError, FileNotFoundError, PermissionError) as exc:
        if debug:
            raise
        print(f"parley {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"parley {args.command}: interrupted", file=sys.stderr)
        return 130


def _known(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()
