"""Things an instructor should look at before grades go out: ``review.csv``, one row per flag.

Why one file: identity mismatches, odd timestamps, late work that did not count, identical answers and
skipped files are all "a person should check this", and an instructor works through one list. None of
them changes a grade by itself; the grades follow the documented rules and the flags say where a
human may want to overrule them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: kind -> what it means (the guide prints this table).
KINDS: dict[str, str] = {
    "id-mismatch": "the trainee id inside the file is not the LMS identity of the person who handed it in",
    "not-on-roster": "a hand-in from someone who is not on the roster (not graded)",
    "default-id": "the file keeps the widget's default trainee id 'trainee'",
    "similar-ids": "trainee ids that differ only in case or punctuation (kept apart: check they are two people)",
    "shared-file-id": "one trainee id inside files handed in by several LMS users",
    "several-ids": "one LMS user handed in files carrying different trainee ids",
    "anonymous": "an anonymous-grading archive name: cannot be matched to the roster",
    "no-timestamp": "no submitted_at: the time is unknown, so the submission is never penalised or preferred",
    "bad-timestamp": "submitted_at is impossible, before 2000 or in the future: treated as unknown",
    "lms-late": "the LMS marked the submission late but its submitted_at is on time",
    "late-not-counted": "a late resubmission that did not replace the on-time one",
    "same-time": "two submissions with the same submitted_at: the tie-break decided",
    "practice-mode": "a practice-mode file, not counted while an assignment-mode one exists",
    "renamed-exercise": "a submission or an extension names an exercise by a former id (the set's renamed): "
                        "graded as, or applied to, the exercise now",
    "identical-free-text": "the same free text in the answers of several trainees",
    "identical-wrong-answers": "two trainees share the same uncommon wrong answers on several exercises",
    "skipped-file": "a file in the hand-in folders that is not a hand-in (listed, not read)",
    "unreadable": "a folder or file that could not be read",
    "extension-unknown": "an extension that applies to nothing: for a trainee who handed in nothing, or an "
                         "exercise not in the set",
}

COLUMNS = ["kind", "trainee", "exercise", "source", "detail"]


@dataclass(frozen=True, order=True)
class Flag:
    kind: str
    trainee: str = ""
    exercise: str = ""
    source: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind


__all__ = ["COLUMNS", "Flag", "KINDS"]
