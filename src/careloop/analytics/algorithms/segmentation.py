"""Population segmentation with k-means on standardised profile features (seed 002 §2.2.2).

Method:

1. Each feature is standardised (``StandardScaler``: mean 0, standard deviation 1), so age in
   years, daily steps and 0/1 condition flags weigh alike.
2. The number of segments ``k`` is chosen in ``k_range`` (default 2–8) by the **mean
   silhouette** (how much closer each resident is to their own segment than to the next
   one; −1…1, higher is better; ties go to the smaller k). For speed, the candidates are
   fitted on a seeded random sample of ``fit_sample`` residents and the silhouette is
   computed on ``silhouette_sample`` of them (it costs O(n²) distances).
3. The chosen k is fitted on everyone, started from the sample's centroids: ``KMeans``
   (Lloyd), or ``MiniBatchKMeans`` above ``minibatch_above`` residents. From centroids
   this good Lloyd converges in a few passes: on 1,000,000 × 9 it took ~1.5 s where
   ``MiniBatchKMeans`` took ~9 s, so mini-batches only pay at city scale.
4. Segments are numbered by size, largest first. Each gets its members' mean of every
   feature in original units (the centroid), and a description from the features whose
   segment mean differs most from the population mean, in population standard deviations
   (``|z| ≥ min_z``, at most ``max_terms`` of them), e.g. "aged about 72, hypertension,
   diabetes, low activity". Phrases come from a feature-label table the caller may extend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class FeatureLabel:
    """How a description names a feature, in Chinese and English: the ``high`` phrase when
    the segment mean is above the population mean, ``low`` when below. ``{mean}`` in a
    phrase is replaced by the segment mean (format spec allowed: ``{mean:.0f}``). An empty
    phrase means "not worth saying": a segment is not described by what it lacks ("no
    diabetes") unless the table says so."""

    high_zh: str
    high_en: str
    low_zh: str
    low_en: str


DEFAULT_LABELS: dict[str, FeatureLabel] = {
    "age": FeatureLabel("{mean:.0f}岁左右", "aged about {mean:.0f}", "{mean:.0f}岁左右",
                        "aged about {mean:.0f}"),
    "htn": FeatureLabel("高血压", "hypertension", "", ""),
    "dm": FeatureLabel("糖尿病", "diabetes", "", ""),
    "living_alone": FeatureLabel("独居", "living alone", "", ""),
    "children_under_6": FeatureLabel("有学龄前儿童", "children under 6", "", ""),
    "rehab": FeatureLabel("康复期", "in rehabilitation", "", ""),
    "disability": FeatureLabel("残疾", "disability", "", ""),
    "smoker": FeatureLabel("吸烟", "smoking", "", ""),
    "steps": FeatureLabel("活动量大", "high activity", "活动量少", "low activity"),
    "bmi": FeatureLabel("BMI偏高", "higher BMI", "BMI偏低", "lower BMI"),
    "sleep_hours": FeatureLabel("睡眠充足", "ample sleep", "睡眠不足", "short sleep"),
}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    """One segment: ``label`` (0 = largest), its size and share of the population, the mean
    of each feature in original units, the z-score of that mean against the population, the
    distinguishing features (largest |z| first) and the descriptions."""

    label: int
    size: int
    share: float
    centroid: dict[str, float]
    z_scores: dict[str, float]
    distinguishing: list[str]
    description_zh: str
    description_en: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SegmentationResult:
    """The chosen ``k``, each resident's segment (``labels``, aligned with the input rows),
    the segments, and the silhouette and inertia (within-segment sum of squares, in
    standardised units) of every candidate k, both measured on the fitting sample."""

    k: int
    labels: np.ndarray
    segments: list[Segment]
    silhouette: dict[int, float]
    inertia: dict[int, float]
    features: list[str]
    params: dict[str, Any]

    def to_dict(self, *, include_labels: bool = False) -> dict[str, Any]:
        """JSON-ready; the per-resident labels only on request (a million of them)."""
        data = {
            "k": self.k,
            "segments": [segment.to_dict() for segment in self.segments],
            "silhouette": {str(k): v for k, v in self.silhouette.items()},
            "inertia": {str(k): v for k, v in self.inertia.items()},
            "features": list(self.features),
            "params": dict(self.params),
        }
        if include_labels:
            data["labels"] = self.labels.tolist()
        return data


def segment(
    residents: pd.DataFrame,
    features: Sequence[str],
    *,
    k_range: Sequence[int] = range(2, 9),
    fit_sample: int = 20_000,
    silhouette_sample: int = 5_000,
    minibatch_above: int = 2_000_000,
    seed: int = 0,
    labels: Mapping[str, FeatureLabel] | None = None,
    min_z: float = 0.5,
    max_terms: int = 4,
) -> SegmentationResult:
    """Segment ``residents`` on the numeric or boolean ``features`` (see the module
    docstring). ``labels`` adds to or overrides ``DEFAULT_LABELS``."""
    values = _matrix(residents, features)
    n = len(values)
    params = {"k_range": [int(k) for k in k_range], "fit_sample": fit_sample,
              "silhouette_sample": silhouette_sample, "minibatch_above": minibatch_above,
              "seed": seed, "min_z": min_z, "max_terms": max_terms}  # fmt: skip
    scaled = StandardScaler().fit_transform(values)
    rng = np.random.default_rng(seed)
    sample = scaled[rng.choice(n, fit_sample, replace=False)] if n > fit_sample else scaled
    distinct = len(np.unique(sample, axis=0))
    if distinct < 2:
        raise ValueError("the features do not vary enough to form segments")
    candidates = sorted({int(k) for k in k_range if 2 <= k < distinct})
    if not candidates:
        raise ValueError(
            f"no usable k in {list(k_range)}: need 2 ≤ k < {distinct} distinct residents"
        )
    models, silhouette = _candidates(sample, candidates, silhouette_sample, seed)
    k = max(silhouette, key=lambda key: (silhouette[key], -key))
    assigned = _fit_all(scaled, models[k], sample is scaled, minibatch_above, seed)
    table = {**DEFAULT_LABELS, **(labels or {})}
    segments = _describe(values, assigned, k, list(features), table, min_z, max_terms)
    order = {old.label: new for new, old in enumerate(segments)}
    relabelled = np.asarray([order[label] for label in range(k)])[assigned]
    segments = [replace(s, label=i) for i, s in enumerate(segments)]
    return SegmentationResult(
        k=k,
        labels=relabelled,
        segments=segments,
        silhouette=silhouette,
        inertia={size: round(float(m.inertia_), 2) for size, m in models.items()},
        features=list(features),
        params=params,
    )


def _matrix(residents: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """The feature columns as a float matrix, or ValueError on unusable input."""
    if not isinstance(residents, pd.DataFrame):
        raise ValueError("residents must be a pandas DataFrame")
    if residents.empty:
        raise ValueError("there are no residents to segment")
    if not features:
        raise ValueError("no features given")
    missing = [f for f in features if f not in residents.columns]
    if missing:
        raise ValueError(f"missing feature column(s): {', '.join(missing)}")
    for feature in features:
        dtype = residents[feature].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(f"feature {feature!r} must be numeric or boolean")
    values = residents[list(features)].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("features contain missing or infinite values: fill or drop them first")
    return values


def _candidates(
    sample: np.ndarray, candidates: list[int], silhouette_sample: int, seed: int
) -> tuple[dict[int, KMeans], dict[int, float]]:
    """A k-means model and its mean silhouette for each candidate k, on the sample. The
    silhouette subsample's distance matrix is computed once and shared by every k. One
    thread: on samples this small, OpenMP threads gain little and lose much on a busy
    machine."""
    rng = np.random.default_rng(seed)
    size = min(silhouette_sample, len(sample))
    rows = rng.choice(len(sample), size, replace=False) if size < len(sample) else slice(None)
    models, silhouette = {}, {}
    with threadpool_limits(limits=1):
        distances = pairwise_distances(sample[rows])
        for k in candidates:
            model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(sample)
            labels = model.labels_[rows]
            score = silhouette_score(distances, labels, metric="precomputed")
            models[k], silhouette[k] = model, round(float(score), 4)
    return models, silhouette


def _fit_all(
    scaled: np.ndarray, model: KMeans, sampled_all: bool, minibatch_above: int, seed: int
) -> np.ndarray:
    """Each resident's segment under the chosen k, refined on all rows from the sample's
    centroids (the sample model itself when the sample was everyone)."""
    if sampled_all:
        labels: np.ndarray = model.labels_
        return labels
    k = model.n_clusters
    centres = model.cluster_centers_
    if len(scaled) > minibatch_above:
        full = MiniBatchKMeans(k, init=centres, n_init=1, batch_size=4096, random_state=seed)
    else:
        full = KMeans(k, init=centres, n_init=1, random_state=seed)
    refined: np.ndarray = full.fit(scaled).labels_
    return refined


def _describe(
    values: np.ndarray,
    assigned: np.ndarray,
    k: int,
    features: list[str],
    labels: Mapping[str, FeatureLabel],
    min_z: float,
    max_terms: int,
) -> list[Segment]:
    """Segments (labelled by k-means cluster, sorted by size) with their descriptions."""
    n = len(values)
    sizes = np.bincount(assigned, minlength=k)
    sums = np.column_stack(
        [np.bincount(assigned, weights=column, minlength=k) for column in values.T]
    )
    means = sums / np.maximum(sizes, 1)[:, None]
    mean, sd = values.mean(axis=0), values.std(axis=0)
    segments = []
    for label in range(k):
        z = np.divide(means[label] - mean, sd, out=np.zeros_like(mean), where=sd > 0)
        ranked = np.argsort(-np.abs(z), kind="stable")
        sayable = [j for j in ranked if any(_label(labels, features[j], z[j]))]
        chosen = [j for j in sayable if abs(z[j]) >= min_z][:max_terms]
        picked = [(features[j], float(z[j]), float(means[label, j])) for j in chosen]
        zh, en = _phrases(picked, features, labels)
        segments.append(
            Segment(
                label=label,
                size=int(sizes[label]),
                share=round(int(sizes[label]) / n, 6),
                centroid={f: round(float(means[label, j]), 4) for j, f in enumerate(features)},
                z_scores={f: round(float(z[j]), 3) for j, f in enumerate(features)},
                distinguishing=[features[j] for j in chosen],
                description_zh=zh,
                description_en=en,
            )
        )
    return sorted(segments, key=lambda s: (-s.size, s.label))


def _phrases(
    chosen: list[tuple[str, float, float]],
    features: list[str],
    labels: Mapping[str, FeatureLabel],
) -> tuple[str, str]:
    """The Chinese and English descriptions: one phrase per chosen feature, in the order of
    the label table (age before conditions before lifestyle), then of ``features``."""
    if not chosen:
        return "接近总体平均", "close to the population average"
    table_order = {name: i for i, name in enumerate(labels)}
    chosen = sorted(
        chosen, key=lambda c: (table_order.get(c[0], len(labels)), features.index(c[0]))
    )
    zh = [_label(labels, feature, z)[0].format(mean=mean) for feature, z, mean in chosen]
    en = [_label(labels, feature, z)[1].format(mean=mean) for feature, z, mean in chosen]
    return "，".join(zh), ", ".join(en)


def _label(labels: Mapping[str, FeatureLabel], feature: str, z: float) -> tuple[str, str]:
    """The (zh, en) phrase for ``feature`` on the side of the mean ``z`` is on ("" for none);
    a feature missing from the table is named plainly ("high steps_per_day")."""
    label = labels.get(feature) or FeatureLabel(
        f"{feature}偏高", f"high {feature}", f"{feature}偏低", f"low {feature}"
    )
    return (label.high_zh, label.high_en) if z > 0 else (label.low_zh, label.low_en)
