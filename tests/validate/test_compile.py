"""The compile/typecheck validator with the real toolchains present on this machine."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from escalator.config import ValidationConfig
from escalator.validate.compile import check_compile, parse_diagnostics, plan_commands
from escalator.validate.verdict import Status
from tests.validate.conftest import TOOLS_BIN, MakeBox

CFG = ValidationConfig()


def _has(program: str) -> bool:
    return shutil.which(program) is not None or (TOOLS_BIN / program).exists()


def test_python_py_compile_pass_and_fail(make_box: MakeBox) -> None:
    good = make_box({"a.py": "def f(x):\n    return x\n"})
    assert check_compile(good, [], CFG).status is Status.PASSED
    bad = make_box({"a.py": "x = 1\ndef f(:\n    pass\n"})
    verdict = check_compile(bad, [], CFG)
    assert verdict.status is Status.FAILED
    assert verdict.findings[0].file == "a.py"
    assert verdict.findings[0].line == 2
    assert "SyntaxError" in verdict.findings[0].message
    assert ">2 | def f(:" in verdict.feedback


def test_mypy_when_configured(make_box: MakeBox) -> None:
    cfg = replace(CFG, compile_commands={"python": "{python} -m mypy --no-incremental {files}"})
    box = make_box({"t.py": "def f(x: int) -> str:\n    return x\n"})
    verdict = check_compile(box, [], cfg)
    assert verdict.status is Status.FAILED, verdict
    finding = verdict.findings[0]
    assert (finding.file, finding.line) == ("t.py", 2)
    assert "Incompatible return value" in finding.message


@pytest.mark.skipif(not _has("gcc"), reason="gcc is not installed")
def test_c_with_gcc(make_box: MakeBox) -> None:
    assert check_compile(make_box({"m.c": "int main(void){return 0;}\n"}), [], CFG).passed
    verdict = check_compile(make_box({"m.c": "int main(void){\n  return y;\n}\n"}), [], CFG)
    assert verdict.status is Status.FAILED
    assert (verdict.findings[0].file, verdict.findings[0].line) == ("m.c", 2)
    assert "undeclared" in verdict.findings[0].message


@pytest.mark.skipif(not _has("g++"), reason="g++ is not installed")
def test_cpp_with_gpp(make_box: MakeBox) -> None:
    src = "#include <vector>\nint main(){ std::vector<int> v; return v.size(); }\n"
    assert check_compile(make_box({"m.cpp": src}), [], CFG).passed
    bad = "int main(){\n  std::string s;\n}\n"
    verdict = check_compile(make_box({"m.cpp": bad}), [], CFG)
    assert verdict.status is Status.FAILED
    assert verdict.findings[0].line == 2


@pytest.mark.skipif(not _has("javac"), reason="javac (a JDK) is not installed")
def test_java_with_javac_under_the_memory_limit(make_box: MakeBox) -> None:
    good = make_box({"A.java": "class A { int f() { return 1; } }\n"})
    assert check_compile(good, [], CFG).passed
    bad = make_box({"A.java": 'class A {\n  int f() { return "s"; }\n}\n'})
    verdict = check_compile(bad, [], CFG)
    assert verdict.status is Status.FAILED
    assert (verdict.findings[0].file, verdict.findings[0].line) == ("A.java", 2)
    assert "incompatible types" in verdict.findings[0].message


@pytest.mark.skipif(not _has("cargo"), reason="Rust (cargo) is not installed")
def test_rust_cargo_project(make_box: MakeBox) -> None:
    manifest = '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n'
    box = make_box(
        {"Cargo.toml": manifest, "src/main.rs": 'fn main() {\n    let x: i32 = "s";\n}\n'}
    )
    verdict = check_compile(box, [], replace(CFG, timeout_s=300))
    assert verdict.status is Status.FAILED, verdict
    assert any(f.file == "src/main.rs" and f.line == 2 for f in verdict.findings)
    assert "mismatched types" in verdict.feedback


@pytest.mark.skipif(not _has("rustc"), reason="rustc is not installed")
def test_rust_single_file_with_rustc(make_box: MakeBox) -> None:
    assert check_compile(make_box({"lib.rs": "pub fn f() -> i32 { 1 }\n"}), [], CFG).passed
    verdict = check_compile(make_box({"lib.rs": 'pub fn f() -> i32 { "s" }\n'}), [], CFG)
    assert verdict.status is Status.FAILED
    assert verdict.findings[0].file == "lib.rs"


@pytest.mark.skipif(not _has("tsc"), reason="tsc not found: run `make tools` (npm) to install")
def test_typescript_with_tsc(make_box: MakeBox) -> None:
    assert check_compile(make_box({"a.ts": "const n: number = 1;\n"}), [], CFG).passed
    verdict = check_compile(
        make_box({"a.ts": 'const n: number = 1;\nconst s: number = "x";\n'}), [], CFG
    )
    assert verdict.status is Status.FAILED
    assert (verdict.findings[0].file, verdict.findings[0].line) == ("a.ts", 2)
    assert "TS2322" in verdict.findings[0].message


@pytest.mark.skipif(not _has("node"), reason="node is not installed")
def test_javascript_with_node_check(make_box: MakeBox) -> None:
    assert check_compile(make_box({"a.js": "const f = (x) => x + 1;\n"}), [], CFG).passed
    verdict = check_compile(make_box({"a.js": "const a = 1;\nconst f = (x => x + 1;\n"}), [], CFG)
    assert verdict.status is Status.FAILED
    assert verdict.findings[0].file == "a.js"
    assert "SyntaxError" in verdict.findings[0].message


@pytest.mark.skipif(_has("go"), reason="Go is installed; this checks the missing-toolchain path")
def test_missing_go_is_an_error_naming_the_install(make_box: MakeBox) -> None:
    box = make_box({"go.mod": "module x\n", "main.go": "package main\nfunc main() {}\n"})
    verdict = check_compile(box, [], CFG)
    assert verdict.status is Status.ERROR
    assert "install Go" in verdict.reason
    assert "compile_commands.go" in verdict.reason


@pytest.mark.skipif(not _has("go"), reason="Go is not installed on this machine")
def test_go_build_and_vet(make_box: MakeBox) -> None:
    box = make_box(
        {"go.mod": "module x\n\ngo 1.21\n", "main.go": "package main\nfunc main() { x := 1 }\n"}
    )
    assert check_compile(box, [], CFG).status is Status.FAILED


def test_configured_command_with_a_missing_program_is_error(make_box: MakeBox) -> None:
    cfg = replace(CFG, compile_commands={"python": "no-such-checker-xyz {files}"})
    verdict = check_compile(make_box({"a.py": "x = 1\n"}), [], cfg)
    assert verdict.status is Status.ERROR
    assert "no-such-checker-xyz" in verdict.reason


def test_no_compilable_files_is_skipped(make_box: MakeBox) -> None:
    verdict = check_compile(make_box({"README.md": "hi", "c.yaml": "a: 1\n"}), [], CFG)
    assert verdict.status is Status.SKIPPED


def test_plans_one_command_per_language(make_box: MakeBox) -> None:
    box = make_box({"a.py": "", "b.c": "", "c.py": "", "d.txt": ""})
    plans = plan_commands(box, [], CFG)
    assert [p.language for p in plans] == ["c", "python"]
    assert "a.py c.py" in plans[1].command


def test_parse_diagnostics_formats() -> None:
    out = (
        "/sb/work/src/m.c:3:7: error: 'y' undeclared\n"
        "/sb/work/src/m.c:3:7: note: each undeclared identifier\n"
        "a.ts(4,9): error TS2322: Type 'string' is not assignable\n"
        "A.java:2: error: incompatible types\n"
        "t.py:5: error: Incompatible return value  [return-value]\n"
    )
    found = parse_diagnostics(out, "/sb/work")
    located = {(f.file, f.line, f.column) for f in found}
    assert located == {("src/m.c", 3, 7), ("a.ts", 4, 9), ("A.java", 2, None), ("t.py", 5, None)}
