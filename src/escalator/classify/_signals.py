"""The classifier's evidence: weighted keyword signals, written from the label definitions.

Each signal is a regular expression over the lower-cased task text that votes for one task
type with a weight, and carries tags that the override rules read (``docs``: the change is
documentation; ``security``, ``data``, ``perf``: the three kinds of critical work; ``arch``:
strong architecture evidence ...). The vocabulary is how developers word commit subjects,
pull-request and issue titles in general (conventional-commit and numpy prefixes, "bump",
"typo", "CVE", "migrate from X to Y"), not the words of any one repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from escalator.task import TaskType

__all__ = ["PREFIX_SIGNALS", "SIGNALS", "Signal", "conventional_prefix"]

Q = TaskType.QUICK_EDIT
S = TaskType.STANDARD_DEVELOPMENT
C = TaskType.COMPLEX_ARCHITECTURE
K = TaskType.CRITICAL


@dataclass(frozen=True)
class Signal:
    """A pattern that votes ``weight`` for ``task_type`` when it occurs in the text."""

    name: str
    pattern: re.Pattern[str]
    task_type: TaskType
    weight: float
    tags: frozenset[str]


def _sig(name: str, regex: str, task_type: TaskType, weight: float, *tags: str) -> Signal:
    return Signal(name, re.compile(regex), task_type, weight, frozenset(tags))


# A leading "docs:", "fix(db):", "[style]:", "DOC:", "BUG:" ... (conventional commits, numpy).
_PREFIX = re.compile(r"^\s*(?:\[([a-z]+)\]:?|([a-z]+)(?:\([^)]{0,40}\))?!?:)\s")


def conventional_prefix(lowered: str) -> str | None:
    """The commit-type prefix of a lower-cased subject ("docs", "fix" ...), if it has one."""
    match = _PREFIX.match(lowered)
    if match is None:
        return None
    return match.group(1) or match.group(2)


# prefix -> (type, weight, tags)
PREFIX_SIGNALS: dict[str, tuple[TaskType, float, tuple[str, ...]]] = {
    **{p: (Q, 3.0, ("docs",)) for p in ("docs", "doc", "doco", "documentation", "typo", "readme")},
    **{p: (Q, 2.0, ()) for p in ("chore", "style", "sty", "maint", "lint", "format")},
    **{p: (Q, 2.0, ("ci",)) for p in ("ci", "build", "bld", "deps", "release", "rel")},
    **{p: (S, 2.0, ("tests_only",)) for p in ("test", "tests", "tst", "testing")},
    **{p: (S, 0.5, ()) for p in ("fix", "bug", "bugfix", "hotfix", "feat", "feature", "enh")},
    "refactor": (Q, 2.0, ()),  # conventional "refactor:" commits are mostly small
    "perf": (K, 3.0, ("perf",)),
    "security": (K, 4.0, ("security", "severe")),
    "sec": (K, 4.0, ("security", "severe")),
}

_DB_WORDS = r"(database|db|sql|schema|table|tables|column|columns|rows?|records|model fields?)"

SIGNALS: tuple[Signal, ...] = (
    # ---- quick_edit: text-only, cosmetic, metadata and tiny refactors --------------------
    _sig(
        "typo",
        r"\btypos?\b|\bspelling\b|\bmisspel|\bgrammar\b|\bgrammatical",
        Q,
        5.0,
        "docs",
        "trivial",
    ),
    _sig("sed-style replacement", r"^s/[^/]+/[^/]*/", Q, 5.0, "docs", "trivial"),
    _sig(
        "quoted wording change",
        r"[\"'][^\"']+[\"'] *(->|→|=>|>|to|rather than|instead of) *[\"']",
        Q,
        4.0,
        "small",
    ),
    _sig(
        "whitespace or formatting",
        r"\b(trailing (white)?spaces?|whitespace|indentation|line endings|reformat\w*|"
        r"formatting|code style|pep ?8|flake8|isort|prettier|eslint|ruff|black formatting|"
        r"pre-commit|lint(ing|er)? (errors?|warnings?|issues?)|linters?|linting|lint|"
        r"punctuation|capitali[sz]ation|missing (period|full stop|comma))\b",
        Q,
        3.5,
        "trivial",
    ),
    _sig(
        "documentation",
        r"\b(docs|documentation|readme|changelog|change log|release notes|news entry|"
        r"contributing guide|user guide|migration guide|tutorial|faq|docs? page|man ?page|rst|"
        r"sphinx|mkdocs|"
        r"help text|code comments?)\b|\breadme\.\w+|^\W*document(s|ed|ing)?\b|"
        r"\b[\w-]+\.(md|rst|adoc)\b",
        Q,
        3.5,
        "docs",
    ),
    _sig("docstring", r"\bdocstrings?\b", Q, 3.5, "docs"),
    _sig("comment", r"\bcomments?\b", Q, 1.5),
    _sig("imports", r"\bimports?\b", Q, 2.0),
    _sig("examples", r"\bexamples?\b", Q, 2.0),
    _sig("breaking change", r"^\w+(\([^)]*\))?!:|\bbreaking change\b", C, 1.0),
    _sig("hardening", r"\bharden\w*", K, 3.5, "security"),
    _sig(
        "wording",
        r"\b(wording|clarify|clarified|clarification|rephrase|reword\w*)\b",
        Q,
        3.0,
        "docs",
    ),
    _sig(
        "version bump",
        r"\bbump(s|ed|ing)?\b|\b(update|upgrade)[sd]? [\w.\-/\[\]]+ (requirement|pin|version)|"
        r"\b(requirements?|pins?|version)\b .*\bto v?\d+(\.\d+)*\b|"
        r"\b(update|upgrade)[sd]? [\w.\-/]+ (from [\w.\-]+ )?to v?\d+(\.\d+)*\b|"
        r"\b(update|upgrade)[sd]? [\w\-/]+ requirement|\bdependabot\b|\brenovate\b|"
        r"\b(update|upgrade|bump)\w* (all )?(the )?(dev[- ])?(dependencies|deps|lock ?files?)\b|"
        r"^\W*(release|prepare release|version) v?\d+(\.\d+)+",
        Q,
        3.0,
        "bump",
    ),
    _sig("revert", r"^\W*revert\w*\b", Q, 3.0),
    _sig("rename", r"\brenam(e|ed|es|ing)\b", Q, 3.5, "rename"),
    _sig(
        "dead code",
        r"\b(unused|dead code|obsolete|outdated|leftover|redundant|unnecessary|unneeded|"
        r"no longer (needed|used)|now-unneeded|stale)\b",
        Q,
        2.5,
    ),
    _sig(
        "type hints",
        r"\btype[ -]hints?\b|\btype annotations?\b|\btype: ?ignore\b|\bmypy\b|\bpyright\b|"
        r"\b(fix|correct)\w* (the )?typ(e|es|ing) (of|for|in)\b|\btyping of\b|"
        r"\b(hooks?|return|param\w*|argument) types?\b|\bfix\w* \w+ types?\b",
        Q,
        4.5,
    ),
    _sig(
        "small refactor",
        r"\b(simplify|simplified|simplifies|prefer|tidy|nits?|cosmetic|minor|trivial|"
        r"clean ?up|cleanups?|small|shorten|inline (a |the )?(variable|helper)|f-strings?|"
        r"stray|debug (prints?|statements?|output)|print statements?|to the top of)\b",
        Q,
        2.0,
        "small",
    ),
    _sig(
        "extract a helper",
        r"\bextract\w*\b(?!.*\b(functions|classes|modules|layers?|packages?)\b)",
        Q,
        2.0,
        "extract",
    ),
    _sig(
        "project metadata",
        r"\b(copyright|licen[cs]e|authors|codeowners|gitignore|editorconfig|manifest\.in|"
        r"tarball|sdist|python_requires|setup\.cfg|setup\.py metadata|tox\.ini|zip_safe|"
        r"badges?|classifiers?|pragma|noqa|funding|py\.typed|(test|ci|build) matrix)\b",
        Q,
        4.0,
    ),
    _sig(
        "broken link",
        r"\b(broken|dead|wrong|incorrect|outdated|fix(ed)?|update[sd]?|correct(ed)?) (the )?"
        r"(\w+ )?(links?|urls?)\b",
        Q,
        3.0,
        "docs",
    ),
    _sig(
        "listing in docs",
        r"\b(third[- ]party (packages|libraries|projects)|to (the )?(list|index|sponsors|"
        r"users list|awesome list))\b",
        Q,
        3.0,
    ),
    _sig("constants", r"\b(status codes?|constants?|enum (values?|members?))\b", Q, 1.5),
    _sig(
        "ci config",
        r"\b(ci|github actions|workflows?|travis|appveyor|circleci|tox|nox)\b",
        Q,
        1.5,
        "ci",
    ),
    _sig(
        "log or error message text", r"\b(log|error|warning|exception) (messages?|text)\b", Q, 2.0
    ),
    # ---- standard_development: bug fixes, tests, small features and options ----------------
    _sig(
        "bug fix",
        r"\b(fix(es|ed|ing)?|bug ?fix(es)?|bugs?|crash(es|ed|ing)?|regression|incorrect|"
        r"wrong|broken|fails?|failing|failure|errors?|exceptions?|raises?|handle[sd]?|"
        r"handling|doesn'?t|does not|don'?t|do not|cannot|can'?t|should(n'?t)?|instead of|"
        r"not (work|respected|honou?red)|ignored|missing|\w+error|\w+exception|segfault|"
        r"segmentation fault|panic\w*|traceback|hangs?|freez\w*|npe|leak\w*)\b",
        S,
        1.5,
        "fix",
    ),
    _sig(
        "tests",
        r"\b(tests?|testing|test ?cases?|unit tests?|regression tests?|coverage|fixtures?|"
        r"tc)\b",
        S,
        2.0,
        "tests",
    ),
    _sig(
        "small feature",
        r"\b(add(s|ed|ing)?|allow(s|ed)?|support(s|ed)?|enable[sd]?|implement(s|ed)?|"
        r"introduce[sd]?|new|make|makes|made|let|lets|accept[sd]?|respect[sd]?|expose[sd]?)\b",
        S,
        0.75,
        "feature",
    ),
    _sig(
        "option or parameter",
        r"\b(options?|flags?|arguments?|param(eter)?s?|kwargs?|keywords?|settings?|"
        r"env(ironment)? var(iable)?s?|placeholders?|config(uration)? (key|value|option))\b|"
        r"(^|\s)--[a-z][\w-]+",
        S,
        1.5,
        "option",
    ),
    _sig("deprecation", r"\bdeprecat\w*", S, 1.5),
    _sig(
        "library swap",
        r"\b(replace[sd]?|replacing) \S+ with \S+|\buse \S+ instead of \S+|"
        r"\b(upgrade|update|bump)\w* .*\band (fix|adapt|port|update|migrate|handle)\w*",
        S,
        1.5,
    ),
    _sig("http status", r"\b[1-5]\d\d\b(?! ?(ms|kb|mb|%|x\b))", S, 1.0),
    _sig("python versions", r"\b(python|py) ?3\.\d+\b", S, 1.0),
    # ---- complex_architecture: design, restructuring, new subsystems, migrations ----------
    _sig(
        "architecture",
        r"\b(architecture|architectural|re-?architect\w*|redesign\w*|overhaul\w*|revamp\w*|"
        r"rewrite|rewrites|rewrote|rewritten|re-?implement\w*|from scratch|subsystems?|"
        r"sans-?io|state machine|event (bus|loop|system)|dependency injection|adr|rfc|"
        r"design doc)\b",
        C,
        4.0,
        "arch",
    ),
    _sig(
        "plugin system",
        r"\b(plugin|plug-in|extension) (system|architecture|api|mechanism|loading|interface|"
        r"framework|manager|registry)|\bplugins?\b|\bextensib\w*|\bpluggable\b",
        C,
        3.0,
        "arch",
    ),
    _sig("framework", r"\bframeworks?\b", C, 1.5),
    _sig(
        "restructuring",
        r"\b(restructur\w*|reorgani[sz]\w*|decoupl\w*|modulari[sz]\w*|monolith\w*|"
        r"consolidat\w*|unif(y|ies|ied|ication)|redo|rework\w*|merge [\w ]+ and [\w ]+)\b",
        C,
        3.0,
    ),
    _sig("refactor", r"\brefactor\w*", C, 1.5, "refactor"),
    _sig(
        "split into modules",
        r"\bsplit\w*\b.*\b(into|out|apart)\b|\binto (multiple|several|separate|smaller|"
        r"its own|their own|an? (separate|dedicated|new|shared|common|standalone) \w*)\b|"
        r"\b(separate|dedicated|its own|their own|new) (modules?|files?|packages?|crates?|"
        r"librar(y|ies)|layers?|process(es)?|services?)\b",
        C,
        3.5,
        "scope",
    ),
    _sig(
        "multi-module scope",
        r"\b(modules|packages|classes|whole|across|completely|fully|globally)\b",
        C,
        1.5,
        "scope",
    ),
    _sig(
        "codebase-wide",
        r"\b(throughout|everywhere|code ?base|entire(ly)?|all (modules|packages|files|classes|"
        r"endpoints|views|callers|call sites))\b",
        C,
        3.0,
        "scope",
    ),
    _sig(
        "framework migration",
        r"\b(migrat\w+|port(s|ed|ing)?|switch(es|ed|ing)?|mov(e|es|ed|ing)|convert\w*|"
        r"transition\w*|replace[sd]?)\b( \S+){0,5}? from \S+( \S+)? to \S+|"
        r"\bmigrat(e|es|ed|ing|ion) (to|from)\b|\bport(ed|ing) to\b|"
        r"\b(port|rewrit|convert|migrat)\w* (the )?\S+( \S+)? (to|in) (rust|go|golang|typescript|"
        r"c\+\+|python ?3|kotlin|swift|java|zig|cython)\b|"
        r"\b(convert|port|migrat|mov|switch|rewrit)\w* (the )?(entire |whole )?(code ?base|project|"
        r"app|application|library|repo|package) (to|in)\b",
        C,
        3.5,
        "migrate",
    ),
    _sig(
        "API design",
        r"\b(public|new|redesign\w*|design|stable|unified|typed|high-level|low-level) "
        r"(\w+ )?apis?\b|\bapis? (redesign|design|overhaul|rework)\b|^\W*(\w+ ){0,2}apis?\W*$|"
        r"\bintroduc\w* (an? |the )?(\w+ ){0,2}apis?\b|"
        r"\breplac\w* (the )?(\w+ ){0,2}(stack|engine|framework|runtime|orm|build system)\b",
        C,
        3.0,
        "arch",
    ),
    _sig(
        "platform or protocol",
        r"\b(async(io)?|asynchronous|concurrency|multi-?thread\w*|multiprocess\w*|"
        r"http/?[23]|quic|websockets?|grpc|wasm|webassembly|emscripten|pyodide|asgi|wsgi|"
        r"tls backend|ssl backend|backends?|transports?|connection pool(s|ing)?|protocols?|"
        r"console api|native|app engine|multiple (databases|backends|providers|platforms)|"
        r"graphql|rest api)\b",
        C,
        1.5,
        "platform",
    ),
    _sig(
        "new component",
        r"\b(introduce|implement|add|create|build)\w* (an? )?(new )?(base |core |basic |"
        r"initial )?(\w+ )?(system|subsystem|engine|layer|framework|service|registry|"
        r"pipeline|scheduler|architecture|abstraction|event bus|(job |task |message )?queue|"
        r"message bus|broker|operator|daemon)\b|"
        r"\b(generic|new|abstraction|service|data|persistence|storage|transport|network\w*|"
        r"resource|caching|cache) layer\b",
        C,
        2.5,
        "arch",
    ),
    _sig(
        "broad support",
        r"\b(native|full|fully|rudimentary|initial|basic|experimental|first-class|inline)\b "
        r"(\w+ ){0,3}(support|types|typing)\b|\b(optional|pluggable) (\w+ )?(dependency|backend)",
        C,
        2.0,
        "arch",
    ),
    # ---- critical: security, live data, performance on hot paths --------------------------
    _sig(
        "security fix",
        r"\b(security|vulnerab\w*|cve[- ]?\d{4}[- ]?\d*|cves?|xss|cross[- ]site|csrf|xsrf|"
        r"(?<!dependency )injection|redos|ssrf|xxe|rce|remote code execution|arbitrary (code|file)|"
        r"(path|directory) traversal|privilege escalation|auth(entication|orization)? bypass|"
        r"open redirect|clickjacking|denial[- ]of[- ]service|dos attack|timing attack|"
        r"constant[- ]time|malicious|exploit\w*|insecure|unsafe deserializ\w*|session fixation|"
        r"session hijack\w*|brute[- ]force|(buffer|heap|stack|integer) overflow|use-after-free|"
        r"double free|out-of-bounds (read|write)|memory safety|sandbox escape|escap\w* the sandbox|"
        r"(sandbox|security|auth\w*|csrf|signature|permission) bypass|zip ?slip|tar ?slip|"
        r"(verify|check)\w* (the )?(\w+ )?(hash|checksum|integrity)|"
        r"jailbreak)\b",
        K,
        6.0,
        "security",
        "severe",
    ),
    _sig(
        "secrets or access control",
        r"\b(sanitiz\w*|unsanitized|untrusted|disclos\w*|another user'?s|other users'?|"
        r"(passwords?|secrets?|credentials?|tokens?|api keys?) (from )?(being )?(logged|leaked|"
        r"exposed|printed|written|stored|sent)|host keys?|known_hosts|hostname verification|"
        r"(decompression|zip|xml|archive) bombs?|leak\w* (of )?(the )?(credentials?|"
        r"secrets?|tokens?|passwords?|keys?|cookies?|sessions?|headers?)|"
        r"(credentials?|secrets?|tokens?|passwords?|api keys?|private keys?) (leak\w*|exposure|"
        r"in (plain ?text|logs?|urls?))|hash(ed|es|ing)? (form|passwords?|keys?|tokens?|secrets?)|"
        r"(passwords?|api keys?|tokens?|secrets?) .*\bhash\w*|ownership|access control|"
        r"(log|print|show|expose|write|store|persist|send|includ|leak)\w* (the )?(user'?s? )?"
        r"(passwords?|secrets?|credentials?|"
        r"tokens?|api keys?)|escap\w* (the )?(user|untrusted|html|unsafe) (input|output|data)|"
        r"(verify|validate|check)\w* (the )?(\w+ )?signatures?|"
        r"(passwords?|secrets?|tokens?|api keys?|credentials?) (are |is )?(\w+ )?"
        r"in (plain|clear) ?text|"
        r"(other|another) (users?|tenants?|accounts?|organi[sz]ations?|teams?)'?s?'? "
        r"(data|records|files|private)|"
        r"permission checks?|check\w* (the )?(permissions?|ownership|authori[sz]ation)|"
        r"unauthori[sz]ed|authori[sz]ation headers?|proxy-authorization|pin based auth\w*|"
        r"certificate (verification|validation)|verify=false)\b",
        K,
        4.5,
        "security",
    ),
    _sig(
        "credentials on redirect",
        r"\b(strip|remove|drop)\w* (the )?(\w+ )?(authorization|auth|cookie|credential)\w*"
        r".*\bredirect",
        K,
        3.0,
        "security",
    ),
    _sig(
        "data loss or corruption",
        r"\b(data[- ]loss|truncat\w* (\w+ )?(data|files?|records|rows|logs?)|"
        r"overwrit\w* (each other|existing|other|the)\b|stored twice|"
        r"los(e|es|ing|t) (\w+ )?(data|writes|updates|records|rows|messages|"
        r"events|files|changes|work)|data (corruption|integrity)|corrupt\w*|irreversib\w*|"
        r"race conditions?|deadlock\w*)\b",
        K,
        5.0,
        "data",
        "severe",
    ),
    _sig(
        "schema or data migration",
        r"\b(data|schema|database|db) migrations?\b|"
        r"\b(add|write|create|squash)\w* (an? |the )?(missing |new )?migrations?\b|"
        r"\ballow (null|nulls|blank)\b|\bnullable\b|\bunique (per|together)\b|"
        r"\bmake \S+ (unique|nullable|non-nullable|required)\b|"
        r"\bmigrat\w* (the )?(existing |old |legacy )?(\w+ )?(rows|records|data)\b|"
        r"\b(add|create)\w* (an? )?(\w+ )?index\b|"
        r"\bbackfill\w*|\bschema (change|update)s?\b|\balter table\b|\bdrop (table|column)s?\b|"
        r"\bnot[- ]null\b|\bnull=false\b|\bunique(ness)? constraints?\b|\bforeign keys?\b|"
        r"\bprimary keys?\b|\bindex(es)? on\b|"
        r"\b(add|remove|drop|rename|split|merge|change|alter)\w* (\S+ ){0,2}columns?\b|"
        rf"\b(in|into|from) the {_DB_WORDS}\b|\bmov(e|es|ed|ing) (its )?(rows|records|data)\b",
        K,
        4.5,
        "data",
    ),
    _sig("database", rf"\b{_DB_WORDS}\b|\bmigrations?\b", K, 1.5, "db"),
    _sig(
        "deletes user data",
        r"\b(delete|deletes|deleting|deletion|wipe\w*|purg\w*)\b.*\b(data|records|rows|"
        r"accounts?|users?|channels?|files|backups?)\b|\(not delete\)",
        K,
        2.0,
        "data",
    ),
    _sig(
        "performance",
        r"\b(perf(ormance)?|speed ?ups?|speeds? up|sped up|faster|fast ?path|hot ?(path|loop|"
        r"spot)|optimi[sz]\w*|quadratic|o\(n\^?2\)|o\(n\*\*2\)|exponential (time|backtracking)|"
        r"bottlenecks?|throughput|zero[- ]copy|memoryview|n\+1 quer\w+)|"
        r"\b\d+(\.\d+)?x (faster|speed)|"
        r"\b\d+(-\d+)?% (faster|speed|performance|improvement|less|fewer|reduction)",
        K,
        5.0,
        "perf",
    ),
    _sig(
        "resource use",
        r"\b(slow(ness|down)?|memory (usage|footprint|consumption|use)|peak memory|"
        r"reduce (memory|allocations?|copies|overhead|cpu)|allocations?|cpu (usage|time)|"
        r"latency|(startup|start-up|load|response|import) time)\b",
        K,
        3.0,
        "perf",
    ),
    _sig(
        "resource limits",
        r"\b(limit (the )?(max(imum)?|number|size|depth)|max(imum)? (number|size|length|depth) "
        r"of|unbounded|resource exhaustion|memory exhaustion|zip bomb|billion laughs|"
        r"huge|massive|very large)\b",
        K,
        2.0,
        "perf",
    ),
    _sig("production", r"\b(production|live (data|database|system)|in prod)\b", K, 1.0),
)
