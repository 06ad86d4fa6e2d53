"""Replace a grading output folder as a set: old outputs complete, or new outputs complete, never a mix.

Why a folder swap and not file-by-file moves: a kill between two moves left the gradebook of one run
next to the feedback pages of another (security review G4). Here every output is written into a
sibling folder ``.<out>.pumpbill-new-XXXX`` and the two folders then trade places:

* where the kernel can (Linux ``renameat2(RENAME_EXCHANGE)``), in one atomic step: at every instant
  ``OUT`` is either the old set or the new set;
* elsewhere, ``OUT -> .<out>.pumpbill-old`` then ``new -> OUT``; a kill between the two leaves the old
  set whole beside ``OUT``, and the next run (or :func:`recover`) moves it back before doing anything.

Leftover folders of a killed run are recognised by their name and removed by the next run, so no copy
of trainee data is left behind for long. A lock (``fcntl.flock`` on ``.<out>.pumpbill-lock`` beside
``OUT``, removed at the end of the run) keeps two runs from writing into one folder at once (G5): the
second run stops with exit 2.

Only files the grader wrote are ever deleted (G8): ``OUT/.pumpbill-outputs`` lists them (the manifest).
Anything else in ``OUT`` (an instructor's notes) is carried into the new set by a hard link (a copy
where links are not possible), so it survives the swap. A file that the instructor put where a new
output must go stops the run with exit 2 instead of being overwritten.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

from ..errors import InputError

MANIFEST = ".pumpbill-outputs"
_HEADER = "# Files written by `pumpbill grade` (the next run replaces exactly these); do not edit.\n"
#: Names of the run's own output files before this manifest existed: a folder without a manifest may
#: hold them from an older pumpbill, and a new run may replace them.
LEGACY = ("results.csv", "gradebook.csv", "lms_canvas.csv", "item_analysis.csv", "item_analysis.html",
          "item_analysis.png", "not_gradable.csv")

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock (documented)
    fcntl = None  # type: ignore[assignment]


def _names(out: Path) -> tuple[Path, Path, str]:
    """(lock file, old-set folder, prefix of new-set folders), all beside OUT."""
    base = f".{out.name}.pumpbill"
    return out.parent / f"{base}-lock", out.parent / f"{base}-old", f"{base}-new-"


# ------------------------------------------------------------------------------------------ the swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2 = None
if os.name == "posix":
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        _renameat2 = _libc.renameat2
        _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        _renameat2.restype = ctypes.c_int
    except (OSError, AttributeError):
        _renameat2 = None

#: Tests turn the one-step exchange off to exercise the two-rename path.
USE_EXCHANGE = _renameat2 is not None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically trade two folders' places; False when this system or file system cannot."""
    if not USE_EXCHANGE or _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _remove_tree(path: Path) -> None:
    """Remove a folder this module created (never follows symbolic links inside it)."""
    if path.is_symlink() or not path.exists():
        return
    shutil.rmtree(path)


def recover(out: str | Path) -> list[str]:
    """Bring OUT back to a complete set after a killed run, and remove the run's leftover folders.

    A killed two-rename swap leaves OUT missing and the old set in ``.<out>.pumpbill-old``: it goes
    back. Any ``.<out>.pumpbill-new-*`` folder is a partial new set (or an old set after an exchange):
    removed. Returns what was done, for the terminal. Call it with the lock held."""
    out = Path(out)
    _, old, prefix = _names(out)
    done = []
    if old.is_dir() and not old.is_symlink():
        if not out.exists() and not out.is_symlink():
            os.rename(old, out)
            done.append(f"restored the previous outputs from {old.name} (a run was interrupted)")
        else:
            _remove_tree(old)
            done.append(f"removed {old.name} left by an interrupted run")
    if out.parent.is_dir():
        for p in sorted(out.parent.iterdir()):
            if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink():
                _remove_tree(p)
                done.append(f"removed {p.name} left by an interrupted run")
    return done


# ------------------------------------------------------------------------------------------ manifest


def read_manifest(out: Path) -> set[str] | None:
    """The relative paths the previous run wrote, or None when OUT has no manifest."""
    path = out / MANIFEST
    if not path.is_file() or path.is_symlink():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return {line for line in text.splitlines() if line and not line.startswith("#")}


def _user_paths(out: Path, ours: set[str]) -> list[tuple[str, os.stat_result]]:
    """Everything in OUT that the grader did not write: (relative path, lstat), top-down, sorted."""
    found = []
    for root, dirs, files in os.walk(out, followlinks=False):
        rel_root = Path(root).relative_to(out)
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            rel = (rel_root / name).as_posix()
            if rel == MANIFEST or rel in ours:
                continue
            found.append((rel, os.lstat(Path(root) / name)))
    return found


# ------------------------------------------------------------------------------------------ the set


class OutputSet:
    """``with OutputSet(out) as o: o.write(rel, data); ...; o.commit()``.

    Entering takes the lock, recovers from a killed run and creates the new-set folder; ``commit``
    carries the instructor's own files over, writes the manifest and swaps; leaving (normally or by an
    exception) removes whatever temporary folder is left and releases the lock.
    """

    def __init__(self, out_dir: str | Path, command: str = "pumpbill grade", legacy: tuple[str, ...] = LEGACY,
                 legacy_prefixes: tuple[str, ...] = ("feedback/",)) -> None:
        self.out = Path(out_dir)
        self.command = command  # named in messages and in the manifest
        self.legacy, self.legacy_prefixes = legacy, legacy_prefixes
        self.lock_path, self.old, self.prefix = _names(self.out)
        self.tmp: Path | None = None
        self.written: set[str] = set()
        self.notes: list[str] = []
        self._lock_fd: int | None = None

    # -- lifetime
    def __enter__(self) -> OutputSet:
        out = self.out
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            raise InputError(str(out), None, "--out must be a folder (not a file or a symbolic link)")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(str(out), None, f"cannot create the output folder: {exc.strerror or exc}") from None
        if not os.access(out.parent, os.W_OK | os.X_OK):
            raise InputError(str(out), None, "cannot write beside the output folder (its parent folder is not "
                             "writable); the outputs are replaced as a set by a rename beside it")
        self._lock()
        try:
            self.notes.extend(recover(out))
            if out.exists() and not os.access(out, os.W_OK | os.R_OK | os.X_OK):
                raise InputError(str(out), None, "cannot read and write the output folder: permission denied")
            self.tmp = Path(tempfile.mkdtemp(prefix=self.prefix, dir=out.parent))
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.tmp is not None:
                _remove_tree(self.tmp)
            if self.old.is_dir() and self.out.is_dir():
                _remove_tree(self.old)
        finally:
            self._unlock()

    def _lock(self) -> None:
        """flock on the lock file beside OUT. The file is removed when the run ends, so a lock taken on a
        file that a finishing run has just removed is retried on the new one (inode check)."""
        if fcntl is None:  # pragma: no cover
            return
        for _ in range(20):
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            except OSError as exc:
                raise InputError(str(self.lock_path), None, f"cannot create the lock file: {exc.strerror or exc}"
                                 ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise InputError(str(self.out), None, f"another `{self.command}` is writing to this folder (lock "
                                 f"{self.lock_path.name} is held); run again when it has finished") from None
            try:
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock_fd = fd
                return
            os.close(fd)  # the previous holder removed it after we opened it: lock the new one
        raise InputError(str(self.out), None, "could not take the lock on the output folder; try again")

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.lock_path)  # still holding the lock: nobody else can be using this file
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None

    # -- writing
    def previous(self, rel: str) -> Path | None:
        """OUT/rel from the previous run, if the previous run wrote it (or it is a legacy output)."""
        ours = read_manifest(self.out)
        path = self.out / rel
        if not path.is_file() or path.is_symlink():
            return None
        if ours is None:
            return path if rel in self.legacy else None
        return path if rel in ours else None

    def write(self, rel: str, data: bytes | str) -> None:
        assert self.tmp is not None, "use OutputSet as a context manager"
        if isinstance(data, str):
            data = encode(data)
        path = self.tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        self.written.add(rel)

    def commit(self) -> None:
        """Carry the instructor's files over, write the manifest, swap the folders."""
        assert self.tmp is not None
        self._carry_over()
        manifest = _HEADER.replace("pumpbill grade", self.command) + "".join(f"{rel}\n" for rel in sorted(self.written))
        with open(self.tmp / MANIFEST, "wb") as fh:
            fh.write(manifest.encode("utf-8"))
        os.chmod(self.tmp, 0o755 & ~_umask())
        new = self.tmp
        if not self.out.exists():
            os.rename(new, self.out)
            self.tmp = None
            return
        if _exchange(new, self.out):
            pass  # OUT is the new set; `new` now holds the old one
        else:
            os.rename(self.out, self.old)
            os.rename(new, self.out)
            new = self.old
        _remove_tree(new)
        self.tmp = None

    def _carry_over(self) -> None:
        """Hard-link (or copy) into the new set everything in OUT that the grader did not write."""
        assert self.tmp is not None
        if not self.out.is_dir():
            return
        ours = read_manifest(self.out)
        legacy = ours is None
        if legacy:  # an older pumpbill's outputs, or a folder of the instructor's
            ours = {rel for rel in self.written if rel in self.legacy or rel.startswith(self.legacy_prefixes)}
        for rel, st in _user_paths(self.out, ours):
            src, dst = self.out / rel, self.tmp / rel
            taken = dst.exists() or dst.is_symlink()
            if stat.S_ISDIR(st.st_mode):
                if taken and dst.is_dir() and not dst.is_symlink():
                    continue
                if taken:
                    raise InputError(str(src), None, "is in the way of a new output; move it away or use another "
                                     "--out")
                dst.mkdir(parents=True)
                continue
            if rel in self.written or taken:
                raise InputError(str(src), None, f"was not written by `{self.command}` but is where a new output "
                                 "must go; move it away or use another --out")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), dst)
            elif stat.S_ISREG(st.st_mode):
                try:
                    os.link(src, dst, follow_symlinks=False)
                except OSError:
                    shutil.copy2(src, dst, follow_symlinks=False)
            else:
                raise InputError(str(src), None, "is a special file that pumpbill did not write and cannot move "
                                 "with the outputs; use an output folder of its own")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def encode(text: str) -> bytes:
    """UTF-8, with any lone surrogate (odd text in a hand-in, G3) shown as U+FFFD instead of failing."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _no_surrogates(text).encode("utf-8")


def _no_surrogates(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


__all__ = ["MANIFEST", "OutputSet", "encode", "read_manifest", "recover"]
