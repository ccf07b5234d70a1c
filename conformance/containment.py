"""What the tool reads, lists or writes stays inside the repository root.

A path is refused when its spelling leaves the root (absolute, or `..` climbing above it) or
when a symlink on the way leads out. `fix` holds every write to it, the repository view every
read and listing, the contract loader every path a contract, conformance.yaml or `--param` gives.
"""

from __future__ import annotations

import os
import stat

# The JSON Schema `format` of an option naming a repository path or glob.
PATH_FORMAT = "repository-path"
OUTSIDE = "outside the repository"
THROUGH_SYMLINK = "a symlink leads outside the repository"
IN_GIT_DIR = "it is inside git's own folder"


def spelled_outside(path: str) -> bool:
    """Whether a repository-relative path or glob leaves the root by its spelling alone:
    absolute, or climbing above the root with `..`. `**` may stand for no folder at all, so a
    `..` after it counts from where it stands."""
    if path.startswith("/"):
        return True
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", ".", "**"):
            depth += 1
    return False


def outside(root: str | os.PathLike[str], path: str) -> str | None:
    """Why `path` (relative to `root`, a resolved directory) leads outside the root, or None:
    its spelling, or a symlink on the way (the last component included) pointing out."""
    if spelled_outside(path):
        return OUTSIDE
    root = os.fspath(root)
    real = os.path.realpath(os.path.join(root, path))
    if real != root and not real.startswith(root.rstrip("/") + "/"):
        return THROUGH_SYMLINK
    return None


def outside_in(root: str, path: str, folders: dict[str, str | None]) -> str | None:
    """`outside(root, path)` for a caller reading many files of few folders: the real path of
    the folder holding `path` is resolved once and remembered in `folders` (folder → reason or
    None); the file itself costs one `lstat`, and a symlink there is resolved in full. A
    realpath per file costs an lstat of every component of its absolute path."""
    if spelled_outside(path):
        return OUTSIDE
    try:
        linked = stat.S_ISLNK(os.lstat(os.path.join(root, path)).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        linked = False  # nothing there: its real path is its folder's, and the name
    except OSError:  # unreadable, a loop: the full answer
        linked = True
    if linked:
        return outside(root, path)
    folder = path.rpartition("/")[0]
    if folder not in folders:
        folders[folder] = outside(root, folder) if folder else None
    return folders[folder]


def in_git_dir(path: str) -> bool:
    """Whether a repository path is in git's own folder (a hook written there runs on the next
    commit); any `.git` component counts, in any case, as git itself refuses to track one."""
    return any(part.lower() == ".git" for part in path.split("/"))
