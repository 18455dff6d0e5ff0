"""The one table of file types: extension -> fence tags, tree-sitter grammar, compiler.

Everything that asks "what language is this file" reads it here: the prompts (the fence
tag written around a file), the edit parser (which fence tags fit a path, which tokens
look like file names), the syntax validator (which grammar parses it), the compile
validator (which compiler checks it) and the workspace scan (which files are text worth
showing a model).

A row's fields:

* ``fences``: the fence info tags a model may use for the file; the first is the one we
  write. Tags are matched case-insensitively.
* ``grammar``: the tree-sitter grammar (``escalator.validate.syntax``), None when none
  is installed for it.
* ``compiler``: the compile validator's language (``escalator.validate.compile``), None
  when the file is not compiled on its own (headers, stubs, data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "FILE_SUFFIXES",
    "FILE_TYPES",
    "TEXT_SUFFIXES",
    "FileType",
    "compile_language",
    "compile_suffixes",
    "fence_language",
    "fence_tags",
    "grammar_for",
    "suffix_of",
]


@dataclass(frozen=True)
class FileType:
    """What Escalator knows about one file extension."""

    fences: tuple[str, ...]
    grammar: str | None = None
    compiler: str | None = None


_PY = FileType(("python", "py", "python3"), "python", "python")
_JS = FileType(("javascript", "js"), "javascript", "javascript")
_TS = FileType(("typescript", "ts"), "typescript", "typescript")
_CPP = FileType(("cpp", "c++"), "cpp", "cpp")
_CPP_HEADER = FileType(("cpp", "c++"), "cpp")

FILE_TYPES: Mapping[str, FileType] = MappingProxyType(
    {
        ".py": _PY,
        ".pyi": FileType(("python", "py"), "python"),
        ".js": FileType(("javascript", "js", "jsx"), "javascript", "javascript"),
        ".mjs": _JS,
        ".cjs": _JS,
        ".jsx": FileType(("jsx", "javascript", "js"), "javascript"),
        ".ts": _TS,
        ".mts": _TS,
        ".cts": _TS,
        ".tsx": FileType(("tsx", "typescript", "ts"), "tsx", "typescript"),
        ".go": FileType(("go", "golang"), "go", "go"),
        ".rs": FileType(("rust", "rs"), "rust", "rust"),
        ".java": FileType(("java",), "java", "java"),
        ".c": FileType(("c",), "c", "c"),
        ".h": FileType(("c", "cpp"), "c"),
        ".cc": _CPP,
        ".cpp": _CPP,
        ".cxx": _CPP,
        ".hh": _CPP_HEADER,
        ".hpp": _CPP_HEADER,
        ".hxx": _CPP_HEADER,
        ".rb": FileType(("ruby", "rb"), "ruby"),
        ".sh": FileType(("bash", "sh", "shell", "zsh"), "bash"),
        ".bash": FileType(("bash", "sh", "shell"), "bash"),
        ".json": FileType(("json",), "json"),
        ".yaml": FileType(("yaml", "yml"), "yaml"),
        ".yml": FileType(("yaml", "yml"), "yaml"),
        ".toml": FileType(("toml",), "toml"),
        ".md": FileType(("markdown", "md")),
        ".html": FileType(("html",)),
        ".css": FileType(("css",)),
        ".sql": FileType(("sql",)),
    }
)

# Plain-text files worth showing a model besides the typed ones (config, notes).
_PLAIN_TEXT = frozenset({".txt", ".cfg", ".ini", ".rst"})
# Text files a model may create that Escalator has no row for.
_OTHER_FILES = frozenset(
    {
        ".xml",
        ".csv",
        ".lock",
        ".env",
        ".in",
        ".mk",
        ".kt",
        ".swift",
        ".php",
        ".cs",
        ".scala",
        ".lua",
        ".r",
        ".jl",
        ".vue",
        ".svelte",
        ".scss",
    }
)

TEXT_SUFFIXES: frozenset[str] = frozenset(FILE_TYPES) | _PLAIN_TEXT
"""Suffixes of the workspace files shown to a model when the task names none."""

FILE_SUFFIXES: frozenset[str] = TEXT_SUFFIXES | _OTHER_FILES
"""Suffixes that make a bare token look like a file name (``setup.cfg``, not ``e.g``)."""


def suffix_of(path: str) -> str:
    """The lower-cased extension of a path's last part (``""`` for none or a dotfile)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _row(path: str) -> FileType | None:
    return FILE_TYPES.get(suffix_of(path))


def fence_tags(path: str) -> tuple[str, ...] | None:
    """The fence tags that fit ``path``; None when any tag may (unknown extension)."""
    row = _row(path)
    return row.fences if row else None


def fence_language(path: str) -> str:
    """The fence info tag written for a file (``""`` when unknown)."""
    row = _row(path)
    return row.fences[0] if row else ""


def grammar_for(path: str) -> str | None:
    """The tree-sitter grammar for a file name, or None when none is installed for it."""
    row = _row(path)
    return row.grammar if row else None


def compile_language(path: str) -> str | None:
    """The compile validator's language for a file, or None when it is not compiled."""
    row = _row(path)
    return row.compiler if row else None


def compile_suffixes() -> dict[str, tuple[str, ...]]:
    """Compile language -> the extensions it checks, in table order."""
    out: dict[str, tuple[str, ...]] = {}
    for ext, row in FILE_TYPES.items():
        if row.compiler is not None:
            out[row.compiler] = (*out.get(row.compiler, ()), ext)
    return out
