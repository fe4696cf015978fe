"""Percentiles of an expression over a queryset, optionally by group, on PostgreSQL and
SQLite alike (the response-time KPIs of ``kpis``).

Percentiles interpolate linearly between the two nearest ranks (PostgreSQL's
``percentile_cont``, numpy's default). They run as one ``percentile_cont`` aggregate on
PostgreSQL; elsewhere (SQLite) a window query (``ROW_NUMBER``/``COUNT`` over the partition)
returns only the one or two rows around each percentile's position, which are then
interpolated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    QuerySet,
    Value,
    Window,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Abs, RowNumber


class Seconds(Func):
    """A duration expression in seconds, as a float (SQLite keeps durations as microseconds,
    PostgreSQL as intervals)."""

    output_field = FloatField()
    template = "((%(expressions)s) / 1000000.0)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite's own julianday() rather than Django's Python function for the difference
        # of two datetimes, which it would call for every row (several times in a window
        # query); a double of days keeps about 10 µs, far below the 0.01 h or min shown.
        subtraction = getattr(self.source_expressions[0], "expression", None)
        if isinstance(subtraction, CombinedExpression) and subtraction.connector == "-":
            end, start = (compiler.compile(side) for side in subtraction.get_source_expressions())
            return (
                f"((julianday({end[0]}) - julianday({start[0]})) * 86400.0)",
                (*end[1], *start[1]),
            )
        return self.as_sql(compiler, connection, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)",
            **extra,
        )


def seconds_between(start: str, end: str) -> Seconds:
    return Seconds(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(fraction)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, fraction=repr(float(fraction)))


def percentiles(
    queryset: QuerySet[Any], value: Any, fractions: Iterable[float], *, group: Any = None
) -> dict[Any, tuple[dict[float, float], int]]:
    """``{group key: ({fraction: percentile}, count)}`` of the expression ``value`` over
    ``queryset``, by the expression ``group`` (one key, None, without it). Rows whose value
    is NULL must be filtered out by the caller."""
    fractions = tuple(fractions)
    qs = queryset.order_by().annotate(_value=value)
    if group is not None:
        qs = qs.annotate(_group=group)
    if connection.vendor == "postgresql":
        aggregates: dict[str, Aggregate] = {
            f"_p{i}": PercentileCont(F("_value"), f) for i, f in enumerate(fractions)
        }
        aggregates["_n"] = Count("pk")
        if group is None:
            row = qs.aggregate(**aggregates)
            rows = [{"_group": None, **row}] if row["_n"] else []
        else:
            rows = list(qs.values("_group").annotate(**aggregates))
        return {
            row["_group"]: ({f: row[f"_p{i}"] for i, f in enumerate(fractions)}, row["_n"])
            for row in rows
        }
    return window_percentiles(qs, fractions, grouped=group is not None)


def window_percentiles(
    qs: QuerySet[Any], fractions: tuple[float, ...], *, grouped: bool
) -> dict[Any, tuple[dict[float, float], int]]:
    """The portable path: rank the rows in each group in SQL and fetch, per fraction, only
    the rows whose 0-based rank is within 1 of the position ``fraction × (n − 1)``; the
    percentile is their sum weighted by ``1 − distance`` (linear interpolation)."""
    partition = [F("_group")] if grouped else None
    ranked = qs.annotate(
        _rank=Window(RowNumber(), partition_by=partition, order_by=[F("_value").asc(),
                                                                      F("pk").asc()]),
        _n=Window(Count("pk"), partition_by=partition),
    )  # fmt: skip
    found: dict[Any, tuple[dict[float, float], int]] = {}
    for fraction in fractions:
        near = ranked.annotate(
            _distance=Abs(F("_rank") - 1 - Value(float(fraction)) * (F("_n") - 1))
        ).filter(_distance__lt=1)
        fields = ("_group", "_distance", "_value", "_n") if grouped else ("_distance", "_value",
                                                                          "_n")  # fmt: skip
        sums: dict[Any, float] = defaultdict(float)
        counts: dict[Any, int] = {}
        for row in near.values_list(*fields):  # one or two rows per group
            key, (distance, value, n) = (row[0], row[1:]) if grouped else (None, row)
            sums[key] += (1 - float(distance)) * float(value)
            counts[key] = int(n)
        for key, total in sums.items():
            found.setdefault(key, ({}, counts[key]))[0][fraction] = total
    return found
