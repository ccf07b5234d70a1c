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


def write_file(path: str, data: bytes) -> None:
    """Write `path` whole or not at all (a reader never sees half a file); failures are ignored."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        from contextlib import suppress

        with suppress(OSError):
            os.unlink(temporary)
