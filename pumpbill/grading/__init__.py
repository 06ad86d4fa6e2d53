"""Grading: a pure function (exercise, submission, rules version) -> grade. Reports live in
``pumpbill.grading.reports`` (pandas) so that the core grades in the browser too."""

from .formulas import FORMULAS
from .grade import Feedback, Grade, PartScore, derive_key, grade

__all__ = ["FORMULAS", "Feedback", "Grade", "PartScore", "derive_key", "grade"]
