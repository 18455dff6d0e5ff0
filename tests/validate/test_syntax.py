"""The syntax validator with the real tree-sitter grammars."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.validate.syntax import check_syntax, language_for, syntax_findings
from escalator.validate.verdict import Status
from tests.validate.conftest import write_tree

# (file name, valid source, broken source, 1-based line of the first error)
CASES = [
    ("a.py", "def f(x):\n    return x + 1\n", "def f(x):\n    return (x +\n\ny = 2\n", 2),
    ("a.js", "function f(x) {\n  return x + 1;\n}\n", "function f(x) {\n  return x +;\n}\n", 2),
    ("a.ts", "const n: number = 1;\n", "const n: number = ;\nlet ok = 1;\n", 1),
    ("a.tsx", "const e = <div>hi</div>;\n", "const e = <div>hi</div;\nlet x = 1;\n", 1),
    ("a.go", "package main\n\nfunc main() {}\n", "package main\n\nfunc main() {\n  x := \n}\n", 4),
    ("a.rs", "fn main() { let x = 1; }\n", "fn main() {\n    let x = ;\n}\n", 2),
    ("A.java", "class A { int f() { return 1; } }\n", "class A {\n  int f() { return 1 }\n}\n", 2),
    ("a.c", "int main(void) { return 0; }\n", "int main(void) {\n  return 0\n}\n", 2),
    ("a.cpp", "int main() { return 0; }\n", "int main() {\n  int x = (1 + ;\n}\n", 2),
    ("a.rb", "def f\n  1\nend\n", "def f(\n  1\n", 1),
    ("a.sh", "if true; then echo hi; fi\n", "if true; then echo hi\n", 1),
    ("a.json", '{"a": [1, 2]}\n', '{"a": [1, 2,, ]}\n', 1),
    ("a.yaml", "a: 1\nb: [1, 2]\n", "a: 1\nb: [1, 2\nc: 3\n", 2),
    ("a.toml", 'a = 1\n[b]\nc = "x"\n', 'a = 1\n[b\nc = "x"\n', 2),
]


@pytest.mark.parametrize(("name", "good", "bad", "line"), CASES, ids=[c[0] for c in CASES])
def test_each_language_valid_and_broken(name: str, good: str, bad: str, line: int) -> None:
    assert language_for(name) is not None
    assert syntax_findings(name, good.encode()) == []
    found = syntax_findings(name, bad.encode())
    assert found, f"{name}: broken source not detected"
    assert found[0].file == name
    assert found[0].line is not None and found[0].line <= line + 1
    assert found[0].column is not None and found[0].column >= 1


def test_missing_node_is_named() -> None:
    found = syntax_findings("m.py", b"def f(:\n    pass\n")
    assert any("missing" in f.message or "syntax error" in f.message for f in found)
    assert found[0].line == 1


def test_check_syntax_failed_verdict_has_location_and_excerpt(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {"ok.py": "x = 1\n", "pkg/bad.py": "a = 1\nb = 2\ndef g(:\n    pass\nc = 3\n"},
    )
    verdict = check_syntax(root)
    assert verdict.status is Status.FAILED
    first = verdict.findings[0]
    assert (first.file, first.line) == ("pkg/bad.py", 3)
    assert ">3 | def g(:" in verdict.feedback
    assert " 2 | b = 2" in verdict.feedback
    assert "Fix the syntax errors" in verdict.feedback
    assert verdict.details["files"] == 2


def test_check_syntax_passes_clean_files_and_only_the_given_ones(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"ok.py": "x = 1\n", "bad.py": "def (:\n"})
    assert check_syntax(root, ["ok.py"]).status is Status.PASSED
    assert check_syntax(root, ["bad.py"]).status is Status.FAILED


def test_no_known_files_is_skipped_not_passed(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"notes.md": "# hi\n", "data.bin": "x"})
    verdict = check_syntax(root)
    assert verdict.status is Status.SKIPPED
    assert "grammar" in verdict.reason


def test_feedback_is_capped(tmp_path: Path) -> None:
    files = {f"f{i}.py": "def f(:\n" * 30 for i in range(20)}
    root = write_tree(tmp_path, files)
    verdict = check_syntax(root, feedback_chars=300)
    assert verdict.status is Status.FAILED
    assert len(verdict.feedback) <= 300
    assert "trimmed" in verdict.feedback


def _big_python(lines: int) -> bytes:
    block = (
        "class Widget{n}:\n"
        '    """A widget."""\n'
        "\n"
        "    def __init__(self, size: int) -> None:\n"
        "        self.size = size\n"
        "        self.items = [i * 2 for i in range(size) if i % 3]\n"
        "\n"
        "    def total(self) -> int:\n"
        "        return sum(self.items) + {n}\n"
        "\n"
    )
    out: list[str] = []
    n = 0
    while len(out) < lines:
        out.extend(block.format(n=n).splitlines())
        n += 1
    return ("\n".join(out[:lines]) + "\n").encode()


@pytest.mark.bench
def test_bench_syntax_2000_line_python(benchmark: pytest.FixtureRequest) -> None:
    source = _big_python(2000)
    assert source.count(b"\n") == 2000
    syntax_findings("big.py", source)  # build the parser outside the timing
    result = benchmark(syntax_findings, "big.py", source)  # type: ignore[operator]
    assert result == []
    stats = benchmark.stats  # type: ignore[attr-defined]
    if stats is not None:
        print(f"\nsyntax check, 2,000-line Python file: median {stats['median'] * 1000:.3f} ms")
