"""Task classification: type and complexity from the wording of a task, with reasons.

Rules and weighted keywords, no model and no network: well under a millisecond a task.
``classify`` answers one task; ``evaluate`` measures it on labelled JSONL objects;
``load_tasks`` reads such a file and names the line of any bad entry.
"""

from __future__ import annotations

from escalator.classify._classifier import BANDS, Classification, classify
from escalator.classify._evaluate import evaluate, load_tasks

__all__ = ["BANDS", "Classification", "classify", "evaluate", "load_tasks"]
