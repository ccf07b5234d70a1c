"""The user's cache folder for conformance (`$XDG_CACHE_HOME/conformance`, else
`~/.cache/conformance`): what is slow to recompute on every run and cheap to check for staleness
(compiled contracts, compiled templates). Only ever a shortcut: what cannot be read or written
there is computed again."""

from __future__ import annotations

import os


def cache_folder(name: str) -> str | None:
    """The folder `name` in the cache, made when missing; None when it cannot be."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "conformance", name)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder


# Entries kept per cache folder: every repository checked adds its own (its compose files, a
# contract by path, a rendering per context), so a folder is trimmed to half this, the least
# recently written first, whenever a write takes it past it.
KEPT_ENTRIES = 512


def write_file(path: str, data: bytes) -> None:
    """Write `path` whole or not at all (a reader never sees half a file); failures are ignored."""
    from contextlib import suppress

    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):
            os.unlink(temporary)
        return
    trim(os.path.dirname(path))


def trim(folder: str) -> None:
    """Keep at most KEPT_ENTRIES files in `folder`: past that, the older ones go until half
    remain (one listing per write; a hit never writes)."""
    from contextlib import suppress

    try:
        with os.scandir(folder) as listing:
            entries = [entry for entry in listing if entry.is_file(follow_symlinks=False)]
    except OSError:
        return
    if len(entries) <= KEPT_ENTRIES:
        return
    aged = []
    for entry in entries:
        with suppress(OSError):  # another run may have trimmed it already
            aged.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    aged.sort()
    for _, path in aged[: len(aged) - KEPT_ENTRIES // 2]:
        with suppress(OSError):
            os.unlink(path)
