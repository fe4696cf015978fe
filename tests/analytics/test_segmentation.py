"""k-means segmentation recovers the planted pilot segments and describes them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from careloop.analytics.algorithms.segmentation import FeatureLabel, segment
from careloop.analytics.algorithms.synthetic import SEGMENT_FEATURES, generate_population


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return generate_population(3_000, seed=11)


@pytest.fixture(scope="module")
def result(population):
    return segment(population, SEGMENT_FEATURES, seed=1)


def test_recovers_the_planted_segments_and_their_number(population, result):
    assert result.k == 5
    assert max(result.silhouette, key=result.silhouette.get) == 5
    assert sorted(result.silhouette) == list(range(2, 9))
    assert adjusted_rand_score(population["true_segment"], result.labels) >= 0.8


def test_segments_are_numbered_by_size_and_sizes_add_up(population, result):
    sizes = [s.size for s in result.segments]
    assert sizes == sorted(sizes, reverse=True)
    assert [s.label for s in result.segments] == list(range(5))
    assert sum(sizes) == len(population)
    assert np.bincount(result.labels).tolist() == sizes
    assert sum(s.share for s in result.segments) == pytest.approx(1.0, abs=1e-5)


def _segment_of(population, result, planted):
    """The found segment holding most residents of a planted one."""
    members = result.labels[(population["true_segment"] == planted).to_numpy()]
    return result.segments[np.bincount(members).argmax()]


@pytest.mark.parametrize(
    ("planted", "features", "words_en", "words_zh"),
    [
        ("htn_dm_elders", {"htn", "dm"}, ["hypertension", "diabetes"], ["高血压", "糖尿病"]),
        ("elders_alone", {"living_alone"}, ["living alone"], ["独居"]),
        ("young_families", {"children_under_6"}, ["children under 6"], ["有学龄前儿童"]),
        ("subhealthy_young", {"sleep_hours"}, ["short sleep"], ["睡眠不足"]),
        ("chronic_rehab", {"rehab"}, ["in rehabilitation"], ["康复期"]),
    ],
)
def test_descriptions_name_what_sets_each_segment_apart(
    population, result, planted, features, words_en, words_zh
):
    found = _segment_of(population, result, planted)
    assert features <= set(found.distinguishing)
    for word in words_en:
        assert word in found.description_en
    for word in words_zh:
        assert word in found.description_zh


def test_centroids_are_in_original_units(population, result):
    elders = _segment_of(population, result, "htn_dm_elders")
    assert 65 <= elders.centroid["age"] <= 80
    assert elders.centroid["htn"] > 0.9
    assert elders.z_scores["dm"] > 1
    young = _segment_of(population, result, "subhealthy_young")
    assert young.centroid["sleep_hours"] < 6
    assert "aged about 2" in young.description_en  # mean age in the twenties


def test_result_is_json_ready_and_carries_its_parameters(result):
    data = json.loads(json.dumps(result.to_dict()))
    assert data["k"] == 5
    assert data["params"]["seed"] == 1
    assert data["params"]["k_range"] == list(range(2, 9))
    assert "labels" not in data
    assert len(result.to_dict(include_labels=True)["labels"]) == 3_000


def test_same_seed_same_segments(population, result):
    again = segment(population, SEGMENT_FEATURES, seed=1, k_range=[result.k])
    assert again.k == result.k
    assert adjusted_rand_score(again.labels, result.labels) > 0.99


@pytest.mark.parametrize("minibatch_above", [4_000, 10_000])  # MiniBatchKMeans, KMeans
def test_large_inputs_are_fitted_on_a_sample_then_refined_on_everyone(minibatch_above):
    population = generate_population(5_000, seed=12)
    result = segment(
        population, SEGMENT_FEATURES, k_range=[4, 5, 6], fit_sample=1_500,
        silhouette_sample=1_000, minibatch_above=minibatch_above, seed=2,
    )  # fmt: skip
    assert result.k == 5
    assert len(result.labels) == 5_000
    assert adjusted_rand_score(population["true_segment"], result.labels) >= 0.8


def test_callers_can_name_their_own_features():
    frame = pd.DataFrame({"visits": [0, 1, 0, 1, 20, 22, 21, 19] * 5})
    labels = {"visits": FeatureLabel("常来", "frequent visitor", "少来", "rare visitor")}
    result = segment(frame, ["visits"], k_range=[2], labels=labels)
    descriptions = {s.description_en for s in result.segments}
    assert descriptions == {"frequent visitor", "rare visitor"}
    plain = segment(frame, ["visits"], k_range=[2])
    assert {s.description_en for s in plain.segments} == {"high visits", "low visits"}


@pytest.mark.parametrize(
    ("frame", "features", "message"),
    [
        (pd.DataFrame({"age": []}), ["age"], "no residents"),
        (pd.DataFrame({"age": [1, 2, 3]}), ["bmi"], "missing feature"),
        (pd.DataFrame({"age": [1, 2, 3]}), [], "no features"),
        (pd.DataFrame({"sex": ["F", "M", "F"]}), ["sex"], "numeric or boolean"),
        (pd.DataFrame({"age": [1.0, np.nan, 3.0]}), ["age"], "missing or infinite"),
        (pd.DataFrame({"age": [1, 2, 2, 1]}), ["age"], "no usable k"),
        (pd.DataFrame({"age": [5] * 20}), ["age"], "do not vary"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(frame, features, message):
    with pytest.raises(ValueError, match=message):
        segment(frame, features)
