"""Association rules recover the planted diabetes → diabetic foot care rule."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from careloop.analytics.algorithms.rules import mine_rules, one_hot
from careloop.analytics.algorithms.synthetic import (
    SERVICES,
    generate_demands,
    generate_population,
    transactions,
)

FOOT = ("cond:diabetes",), ("svc:diabetic_foot_care",)
BP = ("cond:hypertension",), ("svc:bp_monitoring",)


@pytest.fixture(scope="module")
def baskets() -> pd.DataFrame:
    population = generate_population(20_000, seed=21)
    return transactions(population, generate_demands(population, seed=22))


def _find(result, rule):
    return next((r for r in result.rules if (r.antecedents, r.consequents) == rule), None)


def test_recovers_the_planted_rule_with_its_confidence(baskets):
    result = mine_rules(baskets, min_support=0.02, min_confidence=0.5, consequent_prefix="svc:")
    foot = _find(result, FOOT)
    assert foot is not None
    assert foot.confidence == pytest.approx(SERVICES["diabetic_foot_care"].p, abs=0.03)
    diabetic = baskets["cond:diabetes"]
    assert foot.support == pytest.approx(
        (diabetic & baskets["svc:diabetic_foot_care"]).mean(), abs=1e-6
    )
    assert foot.lift == pytest.approx(foot.confidence / baskets["svc:diabetic_foot_care"].mean())
    assert foot.lift > 3
    assert all(c.startswith("svc:") for r in result.rules for c in r.consequents)


def test_a_rule_below_min_confidence_is_left_out(baskets):
    strict = mine_rules(baskets, min_support=0.02, min_confidence=0.5, consequent_prefix="svc:")
    loose = mine_rules(baskets, min_support=0.02, min_confidence=0.4, consequent_prefix="svc:")
    assert _find(strict, BP) is None
    bp = _find(loose, BP)
    assert bp is not None
    assert 0.4 <= bp.confidence < 0.5
    assert bp.confidence == pytest.approx(SERVICES["bp_monitoring"].p, abs=0.03)
    assert all(r.confidence >= 0.5 for r in strict.rules)


def test_rules_are_sorted_by_lift_then_confidence(baskets):
    result = mine_rules(baskets, min_support=0.02, min_confidence=0.3)
    keys = [(r.lift, r.confidence) for r in result.rules]
    assert keys == sorted(keys, reverse=True)
    assert len(mine_rules(baskets, min_support=0.02, min_confidence=0.3, max_rules=3).rules) == 3


def test_min_lift_and_max_len_bound_the_rules(baskets):
    result = mine_rules(baskets, min_support=0.02, min_confidence=0.3, min_lift=2.0, max_len=2)
    assert result.rules
    assert all(r.lift >= 2.0 for r in result.rules)
    assert all(len(r.antecedents) + len(r.consequents) == 2 for r in result.rules)


def test_measures_are_exact_on_a_small_list_of_transactions():
    data = [
        {"cond:diabetes", "svc:foot_care"},
        {"cond:diabetes", "svc:foot_care"},
        {"cond:diabetes", "svc:foot_care", "svc:flu_vaccine"},
        {"cond:diabetes"},
        {"svc:foot_care"},
        {"svc:flu_vaccine"},
        {"svc:flu_vaccine"},
        {"tag:living_alone"},
    ]
    result = mine_rules(data, min_support=0.2, min_confidence=0.6)
    assert [(r.antecedents, r.consequents) for r in result.rules] == [
        (("cond:diabetes",), ("svc:foot_care",)),  # a tie on every measure: by name
        (("svc:foot_care",), ("cond:diabetes",)),
    ]
    rule = result.rules[0]
    assert rule.support == 3 / 8
    assert rule.confidence == 0.75
    assert rule.lift == pytest.approx(0.75 / 0.5)
    assert result.transactions == 8
    assert result.items == 4
    data_out = json.loads(json.dumps(result.to_dict()))
    assert data_out["params"]["min_confidence"] == 0.6
    assert data_out["rules"][0]["antecedents"] == ["cond:diabetes"]


def test_longer_rules_must_improve_on_shorter_ones():
    # Everyone with diabetes gets foot care; adding "elderly" explains nothing more.
    data = [{"cond:diabetes", "tag:elderly", "svc:foot_care"}] * 4
    data += [{"cond:diabetes", "svc:foot_care"}] * 4 + [{"tag:elderly"}] * 4 + [set()] * 4
    pruned = mine_rules(data, min_support=0.1, min_confidence=0.9, consequent_prefix="svc:")
    assert [r.antecedents for r in pruned.rules] == [("cond:diabetes",)]
    kept = mine_rules(
        data, min_support=0.1, min_confidence=0.9, consequent_prefix="svc:", min_improvement=0
    )
    assert sorted(r.antecedents for r in kept.rules) == [
        ("cond:diabetes",),
        ("cond:diabetes", "tag:elderly"),
    ]


def test_one_hot_is_sparse_boolean_with_sorted_columns():
    frame = one_hot([["b", "a"], ["c"], []])
    assert list(frame.columns) == ["a", "b", "c"]
    assert all(isinstance(dtype, pd.SparseDtype) for dtype in frame.dtypes)
    assert frame.sparse.to_dense().to_numpy().tolist() == [
        [True, True, False],
        [False, False, True],
        [False, False, False],
    ]


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        ([], {}, "no transactions"),
        ([set(), set()], {}, "no items"),
        (["cond:diabetes"], {}, "not a string"),
        ([{"a", 3}], {}, "non-empty strings"),
        (pd.DataFrame(), {}, "no transactions"),
        (pd.DataFrame({"a": [1, 0], "b": [0, 1]}), {}, "must be boolean"),
        ([{"a", "b"}], {"min_support": 0}, "min_support"),
        ([{"a", "b"}], {"min_confidence": 1.5}, "min_confidence"),
        ([{"a", "b"}], {"max_len": 1}, "max_len"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(data, options, message):
    with pytest.raises(ValueError, match=message):
        mine_rules(data, **options)
