"""Telling "the tool is not installed" from "the code is wrong".

A check whose program or Python module is missing has not judged the code: its verdict
is ``error`` (could not run), never ``failed``, and its output is not feedback for the
model (which cannot install anything).
"""

from __future__ import annotations

import re
import shlex

__all__ = ["missing_tool"]

_NO_MODULE = re.compile(r"No module named '?([\w.]+)'?")


def _modules_run(command: str) -> set[str]:
    """The modules a command runs with ``python -m MODULE``."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    found: set[str] = set()
    for i, word in enumerate(words[:-1]):
        if word == "-m":
            found.add(words[i + 1].strip("'\";&|"))
    return found


def missing_tool(command: str, exit_code: int | None, output: str) -> str | None:
    """What is missing when ``command`` could not run its tool, else None.

    ``python -m MOD`` with "No module named MOD" is a missing module; exit 126/127 with
    "not found" a missing program."""
    for match in _NO_MODULE.finditer(output):
        module = match.group(1)
        if module.split(".")[0] in {m.split(".")[0] for m in _modules_run(command)}:
            return f"Python module '{module}' is not installed (pip install {module.split('.')[0]})"
    if exit_code in (126, 127) and "not found" in output:
        return output.strip().splitlines()[-1][:300] if output.strip() else "program not found"
    return None
