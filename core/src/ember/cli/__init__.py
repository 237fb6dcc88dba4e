"""``ember-data``: list, download, verify, inspect and remove registered datasets and weights.

Entries come from the registry of ``ember.utils.download`` (code and the ``ember.registry``
entry points of installed packages). Exit codes: 0 success, 1 a download/verification failed,
2 usage error or unknown name (close names are suggested).

Example:
    >>> from ember.cli import main
    >>> main(["where"]) == 0  # doctest: +ELLIPSIS
    home: ...
    True
"""

from __future__ import annotations

import argparse
import sys

from ._commands import COMMANDS

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The ``ember-data`` argument parser (one sub-command per entry of ``COMMANDS``)."""
    parser = argparse.ArgumentParser(
        prog="ember-data",
        description="Download and verify the datasets and weight files registered by ember "
                    "packages.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name, help_, names=None, root=True):
        p = sub.add_parser(name, help=help_, description=help_)
        if names == "+":
            p.add_argument("names", nargs="+", metavar="NAME")
        elif names == "1":
            p.add_argument("name", metavar="NAME")
        if root:
            p.add_argument("--root", default=None,
                           help="root directory (default: $EMBER_HOME/datasets for datasets, "
                                "the hub checkpoints directory for weights)")
        return p

    p = add("list", "list every registered dataset and weights file")
    p.add_argument("--kind", choices=("dataset", "weights"), default=None)
    p = add("download", "download (and verify, and extract) entries", names="+")
    p.add_argument("--mirror", default=None,
                   help="base URL tried first for every file: MIRROR/<file name>")
    p.add_argument("--split", default=None, help="only the files of this split")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p = add("verify", "re-hash the downloaded files of entries", names="+")
    p.add_argument("--split", default=None)
    add("info", "show an entry's files, URLs, hashes, licence and local paths", names="1")
    add("remove", "delete an entry's downloaded files", names="+")
    add("where", "print the cache locations", root=False)
    return parser


def main(argv=None) -> int:
    """Run ``ember-data`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits on --help (0) and on usage errors (2)
        return int(e.code or 0)
    return COMMANDS[args.command](args, sys.stdout, sys.stderr)
