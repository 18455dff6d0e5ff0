"""Inputs for differential testing: literal call sites in tests, then seeded mutations.

``literal_calls`` finds calls such as ``assert f(3, [1, 2]) == 5`` in test source and
keeps the arguments when every one of them is a Python literal. ``generate_inputs``
derives more argument sets from those seeds with type-preserving mutations (numbers
nudged, strings re-cased or emptied, lists emptied, reversed, duplicated ...), keeping
the arity. Everything is deterministic for a given seed, and every value survives a
``repr`` -> ``ast.literal_eval`` round trip, which is how inputs reach the subprocess.
"""

from __future__ import annotations

import ast
import math
import random
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CallArgs", "generate_inputs", "literal_calls", "mutations"]

_LARGE_INT = 1_000_003
_MAX_LEN = 200


@dataclass(frozen=True, eq=True, unsafe_hash=False)
class CallArgs:
    """One call's arguments: positional values and keyword values (all literals)."""

    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()

    def to_source(self) -> str:
        """A literal ``([args], {kwargs})`` text that ``ast.literal_eval`` reads back."""
        return repr((list(self.args), dict(self.kwargs)))

    def describe(self, function: str) -> str:
        """The call as a user would write it: ``f(3, [1, 2], k='x')``."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        text = f"{function}({', '.join(parts)})"
        return text if len(text) <= 300 else text[:297] + "..."

    @staticmethod
    def from_source(text: str) -> CallArgs:
        """Inverse of ``to_source``."""
        args, kwargs = ast.literal_eval(text)
        return CallArgs(tuple(args), tuple(kwargs.items()))


def literal_calls(source: str, function: str) -> list[CallArgs]:
    """Argument sets of every call to ``function`` (or ``x.function``) with literal args.

    Calls with a non-literal argument, ``*args`` or ``**kwargs`` are skipped; a file that
    does not parse yields no calls.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[CallArgs] = []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        if _callee_name(node.func) == function:
            call = _literal_args(node)
            if call is not None and call not in found:
                found.append(call)
    return found


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal_args(node: ast.Call) -> CallArgs | None:
    try:
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                return None
            args.append(ast.literal_eval(arg))
        kwargs = []
        for kw in node.keywords:
            if kw.arg is None:
                return None
            kwargs.append((kw.arg, ast.literal_eval(kw.value)))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    call = CallArgs(tuple(args), tuple(kwargs))
    return call if _round_trips(call) else None


def _round_trips(call: CallArgs) -> bool:
    try:
        return CallArgs.from_source(call.to_source()).to_source() == call.to_source()
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def mutations(value: Any, rng: random.Random) -> list[Any]:
    """Type-preserving variants of ``value`` (never ``value`` itself, no duplicates)."""
    mutate = _MUTATORS.get(type(value))
    if mutate is None:
        return []
    out: list[Any] = []
    seen = {repr(value)}
    for candidate in mutate(value, rng):
        text = repr(candidate)
        if text not in seen and _finite(candidate):
            seen.add(text)
            out.append(candidate)
    return out


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(k) and _finite(v) for k, v in value.items())
    return True


def _bool_variants(x: bool, rng: random.Random) -> list[Any]:
    return [not x]


def _int_variants(x: int, rng: random.Random) -> list[Any]:
    return [x + 1, x - 1, 0, 1, -x if x else -1, 2 * x + 3, x + rng.randint(2, 20), _LARGE_INT]


def _float_variants(x: float, rng: random.Random) -> list[Any]:
    return [
        x + 0.5,
        x - 0.5,
        0.0,
        -x if x else -1.5,
        x * 1.5 + 0.25,
        round(x + rng.uniform(-10, 10), 3),
        float(round(x)) + 0.1,
        1e6 + 0.5,
    ]


def _str_variants(x: str, rng: random.Random) -> list[Any]:
    chars = list(x)
    rng.shuffle(chars)
    mid = len(x) // 2
    return [
        "",
        x.upper(),
        x.lower(),
        x.swapcase(),
        f" {x} ",
        x[::-1],
        (x * 2)[:_MAX_LEN],
        x[:1],
        x[:mid] + " " + x[mid:],
        x + "é",
        "ñü" + x[1:],
        "".join(chars),
        x + rng.choice("aZ9 _-!"),
    ]


def _seq_variants(x: Sequence[Any], rng: random.Random) -> list[list[Any]]:
    items = list(x)
    out: list[list[Any]] = [[], items[:1], items[::-1], items[1:]]
    if items:
        out.append(items + items[:1])
        out.append((items * 2)[:_MAX_LEN])
        out.append(sorted(items, key=repr))
        shuffled = items[:]
        rng.shuffle(shuffled)
        out.append(shuffled)
        for _ in range(3):
            i = rng.randrange(len(items))
            variants = mutations(items[i], rng)
            if variants:
                out.append([*items[:i], rng.choice(variants), *items[i + 1 :]])
        out.append([*items, _grow(items, rng)])
    return out


def _grow(items: list[Any], rng: random.Random) -> Any:
    """A new element of the same type as the list's elements (a mutated existing one)."""
    base = rng.choice(items)
    variants = mutations(base, rng)
    return rng.choice(variants) if variants else base


def _list_variants(x: list[Any], rng: random.Random) -> list[Any]:
    return list(_seq_variants(x, rng))


def _tuple_variants(x: tuple[Any, ...], rng: random.Random) -> list[Any]:
    return [tuple(v) for v in _seq_variants(x, rng)]


def _dict_variants(x: dict[Any, Any], rng: random.Random) -> list[Any]:
    items = list(x.items())
    out: list[Any] = [{}, dict(items[:1]), dict(items[::-1])]
    if items:
        key, val = items[rng.randrange(len(items))]
        for variant in mutations(val, rng)[:3]:
            out.append({**x, key: variant})
        for new_key in mutations(key, rng)[:2]:
            out.append({**x, new_key: val})
    return out


def _set_variants(x: set[Any] | frozenset[Any], rng: random.Random) -> list[Any]:
    items = sorted(x, key=repr)
    kind = type(x)
    out: list[Any] = [kind(), kind(items[:1]), kind(items[1:])]
    if items:
        out.append(kind([*items, _grow(items, rng)]))
    return out


_MUTATORS: dict[type, Callable[[Any, random.Random], list[Any]]] = {
    bool: _bool_variants,
    int: _int_variants,
    float: _float_variants,
    str: _str_variants,
    list: _list_variants,
    tuple: _tuple_variants,
    dict: _dict_variants,
    set: _set_variants,
    frozenset: _set_variants,
}


def generate_inputs(
    seeds: Sequence[CallArgs], *, max_inputs: int = 60, seed: int = 0
) -> list[CallArgs]:
    """The seeds first, then mutations of one argument at a time, then of two at a time.

    Deterministic for the same seeds and ``seed``; duplicates are removed; at most
    ``max_inputs`` sets are returned. No seeds -> no inputs.
    """
    unique = _dedupe(seeds)
    if not unique or max_inputs <= 0:
        return unique[: max(0, max_inputs)]
    rng = random.Random(zlib.crc32(repr([s.to_source() for s in unique]).encode()) ^ seed)
    singles = _single_mutations(unique, rng)
    doubles = _double_mutations(unique, rng, count=max_inputs)
    rng.shuffle(singles)
    rng.shuffle(doubles)
    budget = max_inputs - len(unique)
    n_single = min(len(singles), max(budget * 2 // 3, budget - len(doubles)))
    return _dedupe([*unique, *singles[:n_single], *doubles, *singles[n_single:]])[:max_inputs]


def _dedupe(calls: Iterable[CallArgs]) -> list[CallArgs]:
    seen: set[str] = set()
    out: list[CallArgs] = []
    for call in calls:
        key = call.to_source()
        if key not in seen and _round_trips(call):
            seen.add(key)
            out.append(call)
    return out


def _positions(call: CallArgs) -> list[tuple[str, int]]:
    return [("a", i) for i in range(len(call.args))] + [("k", i) for i in range(len(call.kwargs))]


def _replace(call: CallArgs, where: tuple[str, int], value: Any) -> CallArgs:
    kind, i = where
    if kind == "a":
        return CallArgs((*call.args[:i], value, *call.args[i + 1 :]), call.kwargs)
    name = call.kwargs[i][0]
    return CallArgs(call.args, (*call.kwargs[:i], (name, value), *call.kwargs[i + 1 :]))


def _value_at(call: CallArgs, where: tuple[str, int]) -> Any:
    kind, i = where
    return call.args[i] if kind == "a" else call.kwargs[i][1]


def _single_mutations(seeds: Sequence[CallArgs], rng: random.Random) -> list[CallArgs]:
    out: list[CallArgs] = []
    for call in seeds:
        for where in _positions(call):
            for variant in mutations(_value_at(call, where), rng):
                out.append(_replace(call, where, variant))
    return out


def _double_mutations(
    seeds: Sequence[CallArgs], rng: random.Random, *, count: int
) -> list[CallArgs]:
    out: list[CallArgs] = []
    multi = [s for s in seeds if len(_positions(s)) >= 2]
    for _ in range(count if multi else 0):
        call = rng.choice(multi)
        for where in rng.sample(_positions(call), 2):
            variants = mutations(_value_at(call, where), rng)
            if variants:
                call = _replace(call, where, rng.choice(variants))
        out.append(call)
    return out
