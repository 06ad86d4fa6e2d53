"""Exercises: a scenario, a question, an answer key checked against the engine, and a rubric."""

from .models import Answer, Exercise, ExerciseSet, Kind, Submission
from .store import load_exercise, load_set

__all__ = ["Answer", "Exercise", "ExerciseSet", "Kind", "Submission", "load_exercise", "load_set"]
