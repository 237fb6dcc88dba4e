"""The ``ember-data`` sub-commands: ``fn(args, out, err) -> exit code`` (private)."""

from __future__ import annotations

import os

from ..utils import download as dl

__all__ = ["COMMANDS"]

OK, FAILED, USAGE = 0, 1, 2


def _human(size):
    if size is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def _entries(names, err):
    """The entries for ``names``, or None after printing the unknown ones (exit code 2)."""
    entries, unknown = [], False
    for name in names:
        try:
            entries.append(dl.get_entry(name))
        except dl.UnknownEntryError as e:
            print(f"ember-data: {e}", file=err)
            unknown = True
    return None if unknown else entries


def cmd_list(args, out, err):
    entries = dl.registry(args.kind)
    if not entries:
        print("no datasets or weights are registered (packages declare them through the "
              f"'{dl.ENTRY_POINT_GROUP}' entry-point group)", file=out)
        return OK
    rows = [(e.name, e.kind, _human(e.size), e.licence, dl.entry_status(e, args.root))
            for e in entries.values()]
    header = ("NAME", "KIND", "SIZE", "LICENCE", "STATUS")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(),
              file=out)
    return OK


def cmd_download(args, out, err):
    entries = _entries(args.names, err)
    if entries is None:
        return USAGE
    code = OK
    for entry in entries:
        try:
            paths = dl.download_entry(entry, args.root, split=args.split, mirror=args.mirror,
                                      progress=not args.no_progress)
        except ValueError as e:  # unknown split
            print(f"ember-data: {e}", file=err)
            return USAGE
        except (dl.DownloadError, dl.UnsafeArchiveError, OSError) as e:
            print(f"ember-data: {entry.name}: {e}", file=err)
            code = FAILED
            continue
        print(f"{entry.name}: {len(paths)} file(s) verified in {dl.entry_dir(entry, args.root)}",
              file=out)
    return code


def cmd_verify(args, out, err):
    entries = _entries(args.names, err)
    if entries is None:
        return USAGE
    code = OK
    for entry in entries:
        try:
            report = dl.verify_entry(entry, args.root, split=args.split)
        except ValueError as e:
            print(f"ember-data: {e}", file=err)
            return USAGE
        for path, status in report:
            print(f"{entry.name}: {path}: {status}", file=out)
            if status not in ("ok", "no checksum registered"):
                code = FAILED
    return code


def cmd_info(args, out, err):
    entries = _entries([args.name], err)
    if entries is None:
        return USAGE
    e = entries[0]
    lines = [f"name:        {e.name}", f"kind:        {e.kind}",
             f"licence:     {e.licence}", f"size:        {_human(e.size)}",
             f"status:      {dl.entry_status(e, args.root)}",
             f"directory:   {dl.entry_dir(e, args.root)}", f"registered:  {e.source}"]
    if e.description:
        lines.append(f"description: {e.description}")
    if e.homepage:
        lines.append(f"homepage:    {e.homepage}")
    if e.splits:
        lines.append(f"splits:      {', '.join(e.splits)}")
    for key, value in e.meta.items():
        lines.append(f"meta.{key}: {value}")
    for f in e.files:
        digest = f"sha256 {f.sha256}" if f.sha256 else (f"md5 {f.md5}" if f.md5 else
                                                          "no checksum")
        lines.append(f"file {f.path} ({_human(f.size)}, {digest})")
        lines.append(f"  local: {dl.file_path(e, f, args.root)}")
        lines.extend(f"  url:   {u}" for u in f.urls)
        if f.extract_to is not None:
            lines.append(f"  extracted to: {f.extract_to or '.'}")
        if f.splits:
            lines.append(f"  splits: {', '.join(f.splits)}")
    print("\n".join(lines), file=out)
    return OK


def cmd_remove(args, out, err):
    entries = _entries(args.names, err)
    if entries is None:
        return USAGE
    for entry in entries:
        removed = dl.remove_entry(entry, args.root)
        print(f"{entry.name}: removed {len(removed)} file(s)", file=out)
    return OK


def cmd_where(args, out, err):
    from .. import hub

    print(f"home: {dl.get_home()}  ($EMBER_HOME)", file=out)
    print(f"hub: {hub.get_dir()}", file=out)
    print(f"weights: {os.path.join(hub.get_dir(), 'checkpoints')}", file=out)
    print(f"datasets: {dl.get_data_root()}  ($EMBER_DATA)", file=out)
    offline = "on" if dl.is_offline() else "off"
    print(f"offline: {offline}  ($EMBER_OFFLINE)", file=out)
    return OK


COMMANDS = {"list": cmd_list, "download": cmd_download, "verify": cmd_verify, "info": cmd_info,
            "remove": cmd_remove, "where": cmd_where}
