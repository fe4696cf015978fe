"""Association rules between conditions, tags and demanded services (seed 002 §2.2.3:
"diabetes → diabetic foot care, confidence 0.89").

Each resident is one transaction: the set of items that hold for them, named with a prefix
by kind — ``cond:diabetes``, ``tag:living_alone``, ``svc:diabetic_foot_care``. Frequent
itemsets come from mlxtend's FP-growth, rules from ``mlxtend.association_rules``:

- support(A → C) = share of transactions holding every item of A and C;
- confidence(A → C) = support(A ∪ C) / support(A), "of those with A, how many have C";
- lift(A → C) = confidence / support(C); above 1 means A makes C more likely.

The one-hot matrix is kept boolean and sparse, so a million transactions of a few dozen
items fit in tens of megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from scipy import sparse


@dataclass(frozen=True)
class Rule:
    """One rule ``antecedents → consequents`` with its measures (items sorted by name)."""

    antecedents: tuple[str, ...]
    consequents: tuple[str, ...]
    support: float
    confidence: float
    lift: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["antecedents"], data["consequents"] = list(self.antecedents), list(self.consequents)
        return data


@dataclass(frozen=True)
class RulesResult:
    """The rules found, best first, with the data size and the parameters used."""

    rules: list[Rule]
    transactions: int
    items: int
    itemsets: int
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [rule.to_dict() for rule in self.rules],
            "transactions": self.transactions,
            "items": self.items,
            "itemsets": self.itemsets,
            "params": dict(self.params),
        }


def one_hot(transactions: Iterable[Iterable[str]]) -> pd.DataFrame:
    """A sparse boolean DataFrame (one row per transaction, one column per item, columns
    sorted) from an iterable of item collections such as ``[{"cond:diabetes", …}, …]``."""
    baskets = []
    for items in transactions:
        if isinstance(items, str):
            raise ValueError("each transaction must be a collection of items, not a string")
        baskets.append(frozenset(items))
    if not baskets:
        raise ValueError("there are no transactions")
    names = set().union(*baskets)
    if not names:
        raise ValueError("the transactions contain no items")
    bad = [item for item in names if not isinstance(item, str) or not item]
    if bad:
        raise ValueError(f"items must be non-empty strings, got {bad[0]!r}")
    columns = sorted(names)
    position = {name: i for i, name in enumerate(columns)}
    rows = np.repeat(np.arange(len(baskets)), [len(basket) for basket in baskets])
    cols = [position[item] for basket in baskets for item in basket]
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(baskets), len(columns))
    )
    # pandas-stubs has no type for the class-level ``DataFrame.sparse`` accessor.
    onehot: pd.DataFrame = pd.DataFrame.sparse.from_spmatrix(matrix, columns=columns)  # type: ignore[attr-defined]
    return onehot


def mine_rules(
    data: pd.DataFrame | Iterable[Iterable[str]],
    *,
    min_support: float = 0.01,
    min_confidence: float = 0.5,
    min_lift: float = 1.0,
    max_len: int = 3,
    consequent_prefix: str | None = None,
    min_improvement: float = 0.02,
    max_rules: int | None = None,
) -> RulesResult:
    """Rules whose itemset has at least ``min_support``, with at least ``min_confidence`` and
    ``min_lift``, over itemsets of at most ``max_len`` items.

    ``consequent_prefix`` ("svc:") keeps only rules whose consequents all carry it — "what
    will these residents ask for". A rule with a longer antecedent is kept only when its
    confidence beats the shorter rules with the same consequents by ``min_improvement``
    (Bayardo, Agrawal & Gunopulos 1999), so "rehabilitation and a flu jab → rehab training"
    does not repeat "rehabilitation → rehab training"; 0 keeps them all.
    Sorted by lift, then confidence, then support (all descending), then by items;
    ``max_rules`` keeps the first ones."""
    frame = data if isinstance(data, pd.DataFrame) else one_hot(data)
    _check(frame, min_support, min_confidence, min_lift, max_len)
    params = {"min_support": min_support, "min_confidence": min_confidence,
              "min_lift": min_lift, "max_len": max_len,
              "consequent_prefix": consequent_prefix, "min_improvement": min_improvement,
              "max_rules": max_rules}  # fmt: skip
    frame = _sparse_bool(frame)
    itemsets = fpgrowth(frame, min_support=min_support, use_colnames=True, max_len=max_len)
    found: list[Rule] = []
    if len(itemsets) and itemsets["itemsets"].map(len).max() > 1:
        table = association_rules(
            itemsets, num_itemsets=len(frame), metric="confidence", min_threshold=min_confidence
        )
        table = table[table["lift"] >= min_lift]
        for antecedents, consequents, support, confidence, lift in zip(
            table["antecedents"], table["consequents"], table["support"],
            table["confidence"], table["lift"], strict=True,
        ):  # fmt: skip
            if consequent_prefix and not all(c.startswith(consequent_prefix) for c in consequents):
                continue
            found.append(
                Rule(tuple(sorted(antecedents)), tuple(sorted(consequents)),
                     round(float(support), 6), round(float(confidence), 6), round(float(lift), 6))
            )  # fmt: skip
    found = _improving(found, min_improvement)
    found.sort(key=lambda r: (-r.lift, -r.confidence, -r.support, r.antecedents, r.consequents))
    if max_rules is not None:
        found = found[:max_rules]
    return RulesResult(
        rules=found,
        transactions=len(frame),
        items=frame.shape[1],
        itemsets=len(itemsets),
        params=params,
    )


def _improving(rules: list[Rule], min_improvement: float) -> list[Rule]:
    """The rules whose confidence beats, by ``min_improvement``, every listed rule with the
    same consequents and an antecedent that is a proper subset of theirs. A shorter rule
    below ``min_confidence`` is not listed: the longer one improves on it by definition."""
    if min_improvement <= 0:
        return rules
    confidence = {(r.antecedents, r.consequents): r.confidence for r in rules}
    kept = []
    for rule in rules:
        shorter = [
            confidence.get((subset, rule.consequents))
            for size in range(1, len(rule.antecedents))
            for subset in combinations(rule.antecedents, size)  # sorted, like the keys
        ]
        best = max((value for value in shorter if value is not None), default=None)
        if best is None or rule.confidence >= best + min_improvement:
            kept.append(rule)
    return kept


def _check(
    frame: pd.DataFrame, min_support: float, min_confidence: float, min_lift: float, max_len: int
) -> None:
    if frame.empty:
        raise ValueError("there are no transactions")
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], got {min_support}")
    if not 0 <= min_confidence <= 1:
        raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
    if min_lift < 0:
        raise ValueError(f"min_lift must not be negative, got {min_lift}")
    if max_len < 2:
        raise ValueError(f"max_len must be at least 2 (a rule needs two items), got {max_len}")
    not_bool = [c for c in frame.columns if not pd.api.types.is_bool_dtype(frame[c].dtype)]
    if not_bool:
        raise ValueError(f"one-hot columns must be boolean: {', '.join(map(str, not_bool[:5]))}")


def _sparse_bool(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with sparse boolean columns (mlxtend then walks CSR rows) and string names."""
    frame = frame.rename(columns=str)
    if all(isinstance(dtype, pd.SparseDtype) for dtype in frame.dtypes):
        return frame
    return frame.astype(pd.SparseDtype(bool, False))
