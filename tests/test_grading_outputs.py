"""Outputs are replaced as a set (security review G4, G5, G8): a kill at any file operation leaves the
complete old outputs or the complete new ones, nothing with trainee data is left behind, two runs into
one --out cannot interleave, and only files the grader wrote are ever deleted.

The kill test runs `pumpbill grade` in a forked child for N = 1, 2, ... and stops it at its N-th file
operation (every open for writing, mkdir, rename, replace, link, unlink, rmdir, chmod, and the atomic
folder exchange), either by `os._exit` (a real kill: no clean-up runs) or by an exception (clean-up
runs), until a run completes.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
import yaml
from test_grading_reports import E1, E2, PERFECT, POOR, UNITS_WRONG, make_set

from pumpbill.cli import main as pumpbill_main
from pumpbill.errors import InputError
from pumpbill.grading import outputs

KILLED, INTERRUPTED, CRASHED = 77, 70, 71


class Interrupted(BaseException):
    """Like a KeyboardInterrupt that nothing catches on the way: the clean-up code runs."""


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def tree(folder: Path) -> dict[str, bytes] | None:
    if not folder.is_dir():
        return None
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def grade(set_: Path, subs: Path, out: Path) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return pumpbill_main(["grade", str(set_), str(subs), "--out", str(out), "--no-progress", "--jobs", "1",
                              "--book-url", "https://b.example.org"])


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.pumpbill"))


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """Batch A (the old outputs, with an instructor's note in the folder) and batch B (new answers)."""
    root = tmp_path_factory.mktemp("sets")
    s = make_set(root / "set")
    a, b = root / "a", root / "b"
    write(a / "alice.yaml", {"trainee": "alice", "exercise": E1, "answer": PERFECT})
    write(a / "bob.yaml", {"trainee": "bob", "exercise": E2, "answer": POOR})
    write(b / "alice.yaml", {"trainee": "alice", "exercise": E1, "answer": UNITS_WRONG})
    write(b / "carol.yaml", {"trainee": "carol", "exercise": E2, "answer": PERFECT})
    old = root / "ref" / "out"
    assert grade(s, a, old) == 0
    (old / "notes.txt").write_text("the instructor's own file", encoding="utf-8")
    new = root / "ref2" / "out"
    shutil.copytree(old, new)
    assert grade(s, b, new) == 0
    assert (new / "notes.txt").is_file() and not (new / "feedback" / "bob.html").exists()
    return {"set": s, "a": a, "b": b, "old": tree(old), "new": tree(new), "old_dir": old}


# ------------------------------------------------------------------------------------------ the kill test


def _child(n: int, mode: str, argv: list[str]) -> None:
    """In the forked child: count file operations; at the n-th, die (kill) or raise (interrupt)."""
    count = [0]
    armed = [True]

    def hit() -> None:
        if not armed[0]:
            return
        count[0] += 1
        if count[0] == n:
            if mode == "kill":
                os._exit(KILLED)
            armed[0] = False
            raise Interrupted

    def wrap(fn, writes=lambda *a, **k: True):
        def inner(*args, **kwargs):
            if writes(*args, **kwargs):
                hit()
            return fn(*args, **kwargs)
        return inner

    def open_writes(file, mode="r", *a, **k):
        return any(c in mode for c in "wax+")

    def os_open_writes(path, flags, *a, **k):
        return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))

    builtins.open = io.open = wrap(io.open, open_writes)
    os.open = wrap(os.open, os_open_writes)
    for name in ("replace", "rename", "link", "symlink", "unlink", "remove", "rmdir", "mkdir", "chmod"):
        setattr(os, name, wrap(getattr(os, name)))
    outputs._exchange = wrap(outputs._exchange)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = pumpbill_main(argv)
    except Interrupted:
        os._exit(INTERRUPTED)
    except BaseException:  # noqa: BLE001
        os._exit(CRASHED)
    os._exit(rc)


def _run_child(n: int, mode: str, argv: list[str]) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            _child(n, mode, argv)
        finally:
            os._exit(CRASHED)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize(("mode", "exchange"), [("kill", True), ("kill", False), ("interrupt", True)])
def test_a_kill_at_any_file_operation_leaves_the_old_or_the_new_outputs(batches, tmp_path, monkeypatch, mode,
                                                                        exchange):
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    if exchange and not outputs.USE_EXCHANGE:
        pytest.skip("no atomic folder exchange on this system")
    monkeypatch.setattr(outputs, "USE_EXCHANGE", exchange)
    out = tmp_path / "out"
    argv = ["grade", str(batches["set"]), str(batches["b"]), "--out", str(out), "--no-progress", "--jobs", "1",
            "--book-url", "https://b.example.org"]
    outcomes = []
    for n in range(1, 400):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(batches["old_dir"], out)
        code = _run_child(n, mode, argv)
        assert code in (KILLED, INTERRUPTED, 0), f"op {n}: exit {code}"
        now = tree(out)
        if code == 0:
            assert now == batches["new"] and leftovers(out) == []
            break
        if now is None:  # only between the two renames of the fallback path: the old set waits beside OUT
            assert not exchange and mode == "kill"
            assert tree(out.parent / f".{out.name}.pumpbill-old") == batches["old"], f"op {n}"
            outcomes.append("renamed")
        else:
            assert now in (batches["old"], batches["new"]), f"op {n}: a mix of old and new outputs"
            outcomes.append("old" if now == batches["old"] else "new")
        if mode == "interrupt":  # the clean-up ran: nothing left beside OUT (but the empty lock file when the
            # interruption hit its own removal, the run's last operation)
            assert [x for x in leftovers(out) if not x.endswith("-lock")] == [], f"op {n}: {leftovers(out)}"
        outputs.recover(out)  # what the next run does first
        assert tree(out) in (batches["old"], batches["new"])
        assert [x for x in leftovers(out) if not x.endswith("-lock")] == []
    else:
        pytest.fail("the run never completed")
    assert len(outcomes) >= 10 and "old" in outcomes
    if mode == "kill":
        assert "new" in outcomes  # killed after the swap, while removing the old set
    # a normal run after all that finds a clean place
    shutil.rmtree(out)
    shutil.copytree(batches["old_dir"], out)
    assert grade(batches["set"], batches["b"], out) == 0 and tree(out) == batches["new"] and leftovers(out) == []


# ------------------------------------------------------------------------------------------ lock, manifest


def test_a_second_run_into_the_same_folder_exits_2_while_the_first_holds_it(batches, tmp_path):
    out = tmp_path / "out"
    with outputs.OutputSet(out):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = pumpbill_main(["grade", str(batches["set"]), str(batches["a"]), "--out", str(out)])
        assert rc == 2 and "another `pumpbill grade` is writing to this folder" in err.getvalue()
        assert err.getvalue().count("\n") == 1
    assert grade(batches["set"], batches["a"], out) == 0 and leftovers(out) == []


def test_leftovers_of_a_killed_run_are_recovered_then_removed(batches, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batches["old_dir"], tmp_path / ".out.pumpbill-old")  # killed between the two renames
    partial = tmp_path / ".out.pumpbill-new-abc123"
    (partial / "feedback").mkdir(parents=True)
    (partial / "results.csv").write_text("half", encoding="utf-8")
    assert outputs.recover(out) and tree(out) == batches["old"] and leftovers(out) == []
    (tmp_path / ".out.pumpbill-new-zzz").mkdir()
    assert grade(batches["set"], batches["b"], out) == 0
    assert tree(out) == batches["new"] and leftovers(out) == []


def test_only_files_the_grader_wrote_are_deleted(batches, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batches["old_dir"], out)
    (out / "feedback" / "zed-notes.html").write_text("mine", encoding="utf-8")
    (out / "mine").mkdir()
    (out / "mine" / "a.txt").write_text("mine", encoding="utf-8")
    (out / "link").symlink_to(tmp_path / "nowhere")
    assert grade(batches["set"], batches["b"], out) == 0
    assert (out / "feedback" / "zed-notes.html").read_text(encoding="utf-8") == "mine"
    assert (out / "mine" / "a.txt").read_text(encoding="utf-8") == "mine" and (out / "link").is_symlink()
    assert not (out / "feedback" / "bob.html").exists()  # the grader's own page for a trainee now gone
    manifest = outputs.read_manifest(out)
    assert "feedback/carol.html" in manifest and "mine/a.txt" not in manifest and "notes.txt" not in manifest


def test_a_file_of_the_instructor_where_an_output_goes_stops_the_run(batches, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batches["old_dir"], out)
    manifest = out / outputs.MANIFEST
    manifest.write_text("\n".join(x for x in manifest.read_text().splitlines() if x != "review.csv") + "\n")
    before = tree(out)  # review.csv is now "not written by pumpbill"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = pumpbill_main(["grade", str(batches["set"]), str(batches["b"]), "--out", str(out)])
    assert rc == 2 and "review.csv" in err.getvalue() and "was not written by `pumpbill grade`" in err.getvalue()
    assert tree(out) == before and leftovers(out) == []


def test_out_must_be_a_real_folder(batches, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(InputError, match="not a file or a symbolic link"), outputs.OutputSet(tmp_path / "out"):
        pass


def test_a_feedback_folder_that_is_a_symbolic_link_is_never_followed(batches, tmp_path):
    """G8: the old clean-up deleted *.html through a symlinked OUT/feedback."""
    out = tmp_path / "out"
    shutil.copytree(batches["old_dir"], out)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / "feedback", elsewhere)
    (out / "feedback").symlink_to(elsewhere, target_is_directory=True)
    before = tree(elsewhere)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = pumpbill_main(["grade", str(batches["set"]), str(batches["b"]), "--out", str(out)])
    last = err.getvalue().splitlines()[-1]  # after the warnings of the run, the one-line error
    assert rc == 2 and last.startswith("pumpbill: ") and "out/feedback: was not written" in last
    assert "Traceback" not in err.getvalue()
    assert tree(elsewhere) == before and (out / "feedback").is_symlink() and leftovers(out) == []
