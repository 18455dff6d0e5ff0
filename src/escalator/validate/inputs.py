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
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CallArgs", "Domain", "generate_inputs", "literal_calls", "mutations"]

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
        x + rng.choice(x) if x else "a",
        _replace_char(x, rng),
    ]


def _replace_char(x: str, rng: random.Random) -> str:
    """``x`` with one character replaced by another character of ``x``."""
    if len(x) < 2:
        return x + x
    i = rng.randrange(len(x))
    return x[:i] + rng.choice(x) + x[i + 1 :]


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


@dataclass(frozen=True)
class Domain:
    """What the seeds show about one argument: generated values stay inside it.

    Integers keep the seeds' sign (non-negative seeds -> no negatives; seeds >= 2 -> no 0
    or 1) and a magnitude near theirs; strings keep the seeds' alphabet; strings and
    containers stay non-empty when every seed is. Tests rarely call a function outside its
    intended domain, and correct implementations may legitimately differ there.
    """

    int_min: int | None = None
    num_abs_max: float | None = None
    float_min: float | None = None
    alphabet: frozenset[str] | None = None
    min_str_len: int = 0
    min_container_len: int = 0

    @staticmethod
    def of(values: Sequence[Any]) -> Domain:
        """The domain seen in ``values`` (the seeds' values at one argument position)."""
        seen = _Seen()
        for value in values:
            seen.add(value)
        ints, floats = seen.ints, seen.floats
        magnitude = max((abs(v) for v in [*ints, *floats]), default=None)
        return Domain(
            int_min=min(min(ints), 2) if ints and min(ints) >= 0 else None,
            num_abs_max=None if magnitude is None else max(2 * magnitude, magnitude + 10),
            float_min=0.0 if floats and min(floats) >= 0 else None,
            alphabet=frozenset(seen.chars) if seen.str_lens else None,
            min_str_len=min(min(seen.str_lens, default=0), 1),
            min_container_len=min(min(seen.container_lens, default=0), 1),
        )

    def admits(self, value: Any) -> bool:
        """Whether ``value`` (recursively) stays inside this domain."""
        if isinstance(value, bool) or value is None:
            return True
        if isinstance(value, int | float):
            return self._admits_number(value)
        if isinstance(value, str):
            return len(value) >= self.min_str_len and (
                self.alphabet is None or set(value) <= self.alphabet
            )
        if isinstance(value, dict):
            return len(value) >= self.min_container_len and all(
                self.admits(k) and self.admits(v) for k, v in value.items()
            )
        if isinstance(value, list | tuple | set | frozenset):
            return len(value) >= self.min_container_len and all(self.admits(v) for v in value)
        return True

    def _admits_number(self, value: float) -> bool:
        if self.num_abs_max is not None and abs(value) > self.num_abs_max:
            return False
        if isinstance(value, int):
            return self.int_min is None or value >= self.int_min
        return self.float_min is None or value >= self.float_min


class _Seen:
    """Accumulates the ints, floats, characters and lengths inside seed values."""

    def __init__(self) -> None:
        self.ints: list[int] = []
        self.floats: list[float] = []
        self.chars: set[str] = set()
        self.str_lens: list[int] = []
        self.container_lens: list[int] = []

    def add(self, value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int):
            self.ints.append(value)
        elif isinstance(value, float):
            self.floats.append(value)
        elif isinstance(value, str):
            self.chars |= set(value)
            self.str_lens.append(len(value))
        elif isinstance(value, dict):
            self.container_lens.append(len(value))
            for k, v in value.items():
                self.add(k)
                self.add(v)
        elif isinstance(value, list | tuple | set | frozenset):
            self.container_lens.append(len(value))
            for v in value:
                self.add(v)


_Key = tuple[tuple[str, ...], int, int, bool]
_MEMO: OrderedDict[_Key, tuple[CallArgs, ...]] = OrderedDict()
_MEMO_SIZE = 256
_MEMO_LOCK = threading.Lock()


def generate_inputs(
    seeds: Sequence[CallArgs], *, max_inputs: int = 60, seed: int = 0, stay_in_domain: bool = True
) -> list[CallArgs]:
    """The seeds first, then mutations of one argument at a time, then of two at a time.

    Mutations are chained (a mutation of a mutation) up to three deep; with
    ``stay_in_domain`` each argument stays inside the ``Domain`` its seed values show.
    Deterministic for the same seeds and ``seed``; duplicates are removed; at most
    ``max_inputs`` sets are returned. No seeds -> no inputs.

    Being deterministic, the result is remembered (a few hundred seed sets): a task's
    agreement check runs again with the same seeds each time a candidate joins the pool.
    """
    key = (tuple(s.to_source() for s in seeds), max_inputs, seed, stay_in_domain)
    with _MEMO_LOCK:
        known = _MEMO.get(key)
        if known is not None:
            _MEMO.move_to_end(key)
            return list(known)
    made = tuple(_generate(seeds, max_inputs, seed, stay_in_domain))
    with _MEMO_LOCK:
        _MEMO[key] = made
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return list(made)


def _generate(
    seeds: Sequence[CallArgs], max_inputs: int, seed: int, stay_in_domain: bool
) -> list[CallArgs]:
    unique = _dedupe(seeds)
    if not unique or max_inputs <= 0:
        return unique[: max(0, max_inputs)]
    rng = random.Random(zlib.crc32(repr([s.to_source() for s in unique]).encode()) ^ seed)
    domains = _domains(unique) if stay_in_domain else {}
    pools = {
        (i, where): _variants(_value_at(call, where), domains.get(_slot(call, where)), rng)
        for i, call in enumerate(unique)
        for where in _positions(call)
    }
    singles = [
        _replace(unique[i], where, value) for (i, where), pool in pools.items() for value in pool
    ]
    doubles = _double_mutations(unique, pools, rng, count=max_inputs)
    rng.shuffle(singles)
    budget = max_inputs - len(unique)
    n_single = min(len(singles), max(budget * 2 // 3, budget - len(doubles)))
    return _dedupe([*unique, *singles[:n_single], *doubles, *singles[n_single:]])[:max_inputs]


def _slot(call: CallArgs, where: tuple[str, int]) -> str:
    kind, i = where
    return f"a{i}" if kind == "a" else f"k:{call.kwargs[i][0]}"


def _domains(seeds: Sequence[CallArgs]) -> dict[str, Domain]:
    values: dict[str, list[Any]] = {}
    for call in seeds:
        for where in _positions(call):
            values.setdefault(_slot(call, where), []).append(_value_at(call, where))
    return {slot: Domain.of(vals) for slot, vals in values.items()}


def _variants(
    value: Any, domain: Domain | None, rng: random.Random, *, depth: int = 3, limit: int = 200
) -> list[Any]:
    """Mutations of ``value``, then mutations of those, inside ``domain`` (if given)."""
    seen = {repr(value)}
    out: list[Any] = []
    frontier = [value]
    for _ in range(depth):
        grown: list[Any] = []
        for current in frontier:
            for variant in mutations(current, rng):
                text = repr(variant)
                if text in seen or (domain is not None and not domain.admits(variant)):
                    continue
                seen.add(text)
                grown.append(variant)
        out.extend(grown)
        if len(out) >= limit or not grown:
            break
        frontier = rng.sample(grown, min(len(grown), 12))
    return out[:limit]


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


def _double_mutations(
    seeds: Sequence[CallArgs],
    pools: Mapping[tuple[int, tuple[str, int]], list[Any]],
    rng: random.Random,
    *,
    count: int,
) -> list[CallArgs]:
    out: list[CallArgs] = []
    multi = [i for i, s in enumerate(seeds) if len(_positions(s)) >= 2]
    for _ in range(count if multi else 0):
        i = rng.choice(multi)
        call = seeds[i]
        for where in rng.sample(_positions(call), 2):
            pool = pools.get((i, where))
            if pool:
                call = _replace(call, where, rng.choice(pool))
        out.append(call)
    return out
