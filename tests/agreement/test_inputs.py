"""Input derivation: literal call sites in tests, deterministic type-preserving mutations."""

from __future__ import annotations

import ast
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from escalator.validate.inputs import (
    CallArgs,
    Domain,
    generate_inputs,
    literal_calls,
    mutations,
)

TESTS = """
import m

def test_add():
    assert add(3, [1, 2]) == 5
    assert m.add(-2.5, (1, "a"), scale={"k": 1}) == 0
    assert add(x, 1) == 2          # non-literal: skipped
    assert add(*args) == 2         # starred: skipped
    assert other(1) == 1           # another function
    assert add(3, [1, 2]) == 5     # duplicate
"""


def test_literal_calls_keeps_literal_arguments_in_source_order() -> None:
    calls = literal_calls(TESTS, "add")
    assert calls == [
        CallArgs((3, [1, 2])),
        CallArgs((-2.5, (1, "a")), (("scale", {"k": 1}),)),
    ]


def test_literal_calls_on_unparsable_source_is_empty() -> None:
    assert literal_calls("def broken(:\n", "add") == []
    assert literal_calls(TESTS, "missing") == []


def test_call_args_round_trip_and_describe() -> None:
    call = CallArgs((1, "x", [None, True], {1: (2.5,)}), (("k", set()),))
    assert CallArgs.from_source(call.to_source()) == call
    assert call.describe("f") == "f(1, 'x', [None, True], {1: (2.5,)}, k=set())"


def test_generate_inputs_is_deterministic_and_starts_with_the_seeds() -> None:
    seeds = literal_calls(TESTS, "add")
    first = generate_inputs(seeds, max_inputs=40)
    second = generate_inputs(seeds, max_inputs=40)
    assert [c.to_source() for c in first] == [c.to_source() for c in second]
    assert first[:2] == seeds
    assert len(first) == 40
    assert len({c.to_source() for c in first}) == 40
    other_seed = generate_inputs(seeds, max_inputs=40, seed=1)
    assert [c.to_source() for c in other_seed] != [c.to_source() for c in first]


def test_generate_inputs_keeps_arity_types_and_keywords() -> None:
    seeds = [CallArgs((3, [1, 2])), CallArgs(("abc",), (("flag", True),))]
    for call in generate_inputs(seeds, max_inputs=60):
        assert (len(call.args), [k for k, _ in call.kwargs]) in ((2, []), (1, ["flag"]))
        if len(call.args) == 2:
            assert isinstance(call.args[0], int)
            assert isinstance(call.args[1], list)
            assert all(isinstance(v, int) for v in call.args[1])
        else:
            assert isinstance(call.args[0], str)
            assert isinstance(call.kwargs[0][1], bool)
        ast.literal_eval(call.to_source())


def test_generate_inputs_covers_the_interesting_variants() -> None:
    seeds = [CallArgs(("Hello", [3, 1, 2]))]
    calls = generate_inputs(seeds, max_inputs=5000, stay_in_domain=False)
    strings = {c.args[0] for c in calls}
    lists = {tuple(c.args[1]) for c in calls}
    assert {"", "HELLO", "hello", "olleH", "Helloé"} <= strings
    assert {(), (3,), (2, 1, 3), (3, 1, 2, 3)} <= lists
    assert any(-3 in c.args[1] for c in calls)


def test_inputs_stay_inside_the_domain_the_seeds_show() -> None:
    seeds = [CallArgs(("o| .|", [3, 1, 2])), CallArgs(("oo", [5]))]
    calls = generate_inputs(seeds, max_inputs=80)
    assert len(calls) == 80
    for call in calls:
        text, numbers = call.args
        assert text and set(text) <= set("o| .")
        assert numbers and all(1 <= n <= 15 for n in numbers)
    assert len({c.args[0] for c in calls}) > 20


def test_domain_of_seed_values() -> None:
    domain = Domain.of([15, 8])
    assert domain.int_min == 2 and domain.num_abs_max == 30
    assert not domain.admits(1) and domain.admits(2) and not domain.admits(31)
    signed = Domain.of([[-1.5, 2.0], []])
    assert signed.admits([-3.0]) and signed.admits([])
    words = Domain.of(["ab", "ba"])
    assert words.admits("abba") and not words.admits("") and not words.admits("abc")


def test_no_seeds_no_inputs() -> None:
    assert generate_inputs([], max_inputs=60) == []
    assert generate_inputs([CallArgs((1,))], max_inputs=0) == []


def test_mutations_of_unknown_types_are_empty() -> None:
    assert mutations(None, random.Random(0)) == []
    assert mutations(1j, random.Random(0)) == []


literals = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(deadline=None)  # timing varies on a loaded machine; the property is what counts
@given(st.lists(literals, min_size=1, max_size=3))
def test_every_generated_input_survives_the_literal_round_trip(args: list[object]) -> None:
    calls = generate_inputs([CallArgs(tuple(args))], max_inputs=30, stay_in_domain=False)
    assert calls[0] == CallArgs(tuple(args))
    for call in calls:
        assert CallArgs.from_source(call.to_source()).to_source() == call.to_source()
        assert len(call.args) == len(args)
        for value, original in zip(call.args, args, strict=True):
            assert type(value) is type(original)


def test_generate_inputs_remembers_a_seed_set_it_has_seen() -> None:
    seeds = [CallArgs((7, "memo"), (("k", [1.5]),))]
    first = generate_inputs(seeds, max_inputs=30)
    again = generate_inputs([CallArgs((7, "memo"), (("k", [1.5]),))], max_inputs=30)
    assert again == first and all(a is b for a, b in zip(again, first, strict=True))
    again.clear()  # the caller's list is its own
    assert generate_inputs(seeds, max_inputs=30) == first
    assert generate_inputs(seeds, max_inputs=31)[:1] == first[:1]  # other arguments: new
    assert generate_inputs(seeds, max_inputs=30, seed=4) != first
