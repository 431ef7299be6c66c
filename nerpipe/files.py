"""Files nerpipe writes whole and renames into place: a model, its run's state, an annotation file (no torch).

Renaming a finished file over the old one means a reader never sees half a file, and an
interrupted write leaves the old one as it was. But a rename replaces whatever is at
the path: a symbolic link would become a file of its own, and ``-o /dev/null`` would put
an ordinary file where the machine's null device was.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import UsageError


def rename_target(path: str | os.PathLike, option: str = "") -> Path:
    """Where a file written whole and renamed into place goes: ``path``, or the file a
    symbolic link there points to (the link stays a link). A usage error when something
    other than an ordinary file is there (a device such as /dev/null, a pipe, a folder);
    ``option``: the option that named it, for the message."""
    named = f"{option + ' ' if option else ''}{os.fspath(path)}"
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if os.path.islink(path) and not target.parent.is_dir():
            raise UsageError(f"{named} is a link to {target}, in no folder that exists") from None
        return target
    except OSError as err:  # a loop of links, a folder that cannot be read
        raise UsageError(f"{named}: {err.strerror}") from None
    if stat.S_ISREG(mode):
        return target
    kind = ("a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not an ordinary file")
    raise UsageError(f"{named} is {kind}: nerpipe writes this file whole and renames it into place, which would "
                     "replace what is there; give the path of a file")
