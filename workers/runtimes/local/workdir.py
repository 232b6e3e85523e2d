"""An attempt's private working directory: created 0700 for its user, filled with the
planned files, removed when the attempt ends (its logs live on in the log store)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from workers.runtimes.workspace import PlannedFile

_DIR_MODE = 0o700


MARKER = ".signalyard-runtime"


def prepare_root(root: Path, shared_by_users: bool) -> None:
    """With a user per attempt they must be able to pass through the root, not list it.
    A root that is not empty must carry our marker: it is cleared on start."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / MARKER).exists() and any(root.iterdir()):
        raise RuntimeError(f"{root} holds other files: give the runtime a directory of its own")
    (root / MARKER).touch()
    os.chmod(root, 0o711 if shared_by_users else 0o700)


def leftovers(root: Path) -> list[Path]:
    """Attempt directories a dispatcher that died left behind."""
    return [path for path in root.iterdir() if path.name != MARKER]


def create(root: Path, name: str, files: list[PlannedFile], uid: int | None) -> Path:
    workdir = root / name
    workdir.mkdir(mode=_DIR_MODE)
    _own(workdir, uid)
    for planned in files:
        target = workdir / planned.path
        _make_parents(workdir, target.parent, uid)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(target, flags, 0o600)
        try:
            os.write(fd, planned.content)
            if uid is not None:
                os.fchown(fd, uid, uid)
            os.fchmod(fd, planned.mode)
        finally:
            os.close(fd)
    tmp = workdir / "tmp"
    tmp.mkdir(mode=_DIR_MODE, exist_ok=True)
    _own(tmp, uid)
    return workdir


def remove(workdir: Path) -> None:
    shutil.rmtree(workdir, onerror=_writable_then_retry)


def _make_parents(workdir: Path, directory: Path, uid: int | None) -> None:
    missing = []
    while directory != workdir and not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=_DIR_MODE)
        _own(path, uid)


def _own(path: Path, uid: int | None) -> None:
    os.chmod(path, _DIR_MODE)
    if uid is not None:
        os.chown(path, uid, uid, follow_symlinks=False)


def _writable_then_retry(function: object, path: str, _error: object) -> None:
    """An agent may leave read-only directories behind: open them up and try again."""
    parent = os.path.dirname(path)
    os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
    if callable(function):
        function(path)
