"""The unsupervised Fellegi-Sunter model: it recovers known m and u from unlabelled pairs."""

from __future__ import annotations

import numpy as np

from recouvra.fellegi_sunter import FieldSpec, estimate_u, fit

FIELDS = (
    FieldSpec("name", ("differ", "close", "exact"), (0.1, 0.2, 0.7), (0.9, 0.08, 0.02)),
    FieldSpec("city", ("differ", "exact"), (0.2, 0.8), (0.9, 0.1)),
    FieldSpec("phone", ("differ", "exact"), (0.3, 0.7), (0.999, 0.001)),
)
TRUE_M = {"name": [0.05, 0.15, 0.8], "city": [0.1, 0.9], "phone": [0.4, 0.6]}
TRUE_U = {"name": [0.95, 0.04, 0.01], "city": [0.85, 0.15], "phone": [0.998, 0.002]}


def _draw(rng: np.random.Generator, n: int, probs: dict[str, list[float]]) -> dict[str, np.ndarray]:
    return {f: rng.choice(len(p), size=n, p=p).astype(np.int8) for f, p in probs.items()}


def _candidates(rng: np.random.Generator, matches: int, non_matches: int) -> dict[str, np.ndarray]:
    a, b = _draw(rng, matches, TRUE_M), _draw(rng, non_matches, TRUE_U)
    return {f: np.concatenate([a[f], b[f]]) for f in a}


def test_u_comes_from_random_pairs_and_missing_values_are_left_out() -> None:
    rng = np.random.default_rng(0)
    levels = _draw(rng, 200_000, TRUE_U)
    levels["city"][:50_000] = -1  # a quarter of the pairs have no city on one side
    u = estimate_u(levels, FIELDS)
    for field, expected in TRUE_U.items():
        assert np.allclose(u[field], expected, atol=0.01), (field, u[field])


def test_em_recovers_m_without_labels() -> None:
    rng = np.random.default_rng(1)
    candidates = _candidates(rng, matches=20_000, non_matches=30_000)
    random_pairs = _draw(rng, 300_000, TRUE_U)
    model = fit(candidates, random_pairs, FIELDS, all_pairs=10_000_000)
    for field, expected in TRUE_M.items():
        assert np.allclose(model.m[field], expected, atol=0.05), (field, model.m[field])
    # the prior: 20,000 matches among 10 million pairs (three weak fields leave some matches unsure,
    # so the estimate is of the right order, not exact)
    assert 1e-3 < model.lam < 3e-3
    # agreeing on a name is evidence for, disagreeing evidence against
    weights = model.field_weights("name", np.array([-1, 0, 1, 2]))
    assert weights[0] == 0.0 and weights[1] < 0 < weights[2] < weights[3]


def test_a_common_value_proves_less_than_a_rare_one() -> None:
    rng = np.random.default_rng(2)
    model = fit(_candidates(rng, 5_000, 5_000), _draw(rng, 100_000, TRUE_U), FIELDS, all_pairs=10**7)
    exact = np.array([2, 2])
    shared_by = np.array([0.0, 0.05])  # the second pair's name is held by 5% of the records
    rare, common = model.field_weights("name", exact, tf_u=shared_by, exact_level=2)
    assert common < rare


def test_a_tiny_file_keeps_the_priors() -> None:
    # twenty records: the random pairs are all pairs, and the model must not collapse
    candidates = {
        "name": np.array([2, 2, 1], dtype=np.int8),
        "city": np.array([1, 1, 0], dtype=np.int8),
        "phone": np.array([1, -1, -1], dtype=np.int8),
    }
    random_pairs = {
        "name": np.zeros(190, dtype=np.int8),
        "city": np.zeros(190, dtype=np.int8),
        "phone": np.zeros(190, dtype=np.int8),
    }
    model = fit(candidates, random_pairs, FIELDS, all_pairs=190)
    assert model.field_weights("phone", np.array([1]))[0] > 5
    assert model.field_weights("name", np.array([0]))[0] < 0
    assert {row["field"] for row in model.as_table()} == {"name", "city", "phone"}


def test_a_value_no_other_record_holds_proves_more_than_the_average() -> None:
    rng = np.random.default_rng(2)
    model = fit(_candidates(rng, 5_000, 5_000), _draw(rng, 100_000, TRUE_U), FIELDS, all_pairs=10**7)
    exact = np.array([2, 2])
    held_by_two = np.array([0.0, 1e-6])  # the second pair's name: only these two records of a million
    average, rare = model.field_weights("name", exact, tf_u=np.zeros(2), exact_level=2, rare_u=held_by_two)
    assert rare > average
    # a rare_u above the average u changes nothing (it only ever lowers u)
    same = model.field_weights("name", exact, tf_u=np.zeros(2), exact_level=2, rare_u=np.array([0.0, 0.5]))
    assert same[0] == same[1] == average


def test_m_is_counted_on_pairs_the_identifiers_label_where_em_is_led_astray() -> None:
    # candidates crowded by namesakes: pairs that agree on the name but are two entities look, to EM,
    # like a second kind of match (the same name, another city); a few thousand pairs known to be
    # one entity (the same valid ICE root or CIN) tell the true m of every field they were not
    # chosen by, and the prior follows from it
    rng = np.random.default_rng(7)
    matches = _draw(rng, 5_000, TRUE_M)
    namesakes = _draw(rng, 20_000, TRUE_U)
    namesakes["name"][:] = 2  # the same name, nothing else in common
    others = _draw(rng, 20_000, TRUE_U)
    candidates = {f: np.concatenate([matches[f], namesakes[f], others[f]]) for f in TRUE_M}
    # "phone" chose the labelled pairs: their phones agree by construction, they cannot tell its m
    known = np.zeros(45_000, dtype=bool)
    known[:3_000] = True
    candidates["phone"][:3_000] = 1
    random_pairs = _draw(rng, 300_000, TRUE_U)
    em = fit(candidates, random_pairs, FIELDS, all_pairs=10_000_000)
    both = fit(candidates, random_pairs, FIELDS, labelled=(known, frozenset({"phone"})),
               all_pairs=10_000_000)
    assert not np.allclose(em.m["city"], TRUE_M["city"], atol=0.05)  # EM alone: namesakes move cities
    assert np.allclose(both.m["city"], TRUE_M["city"], atol=0.03), both.m["city"]
    assert np.allclose(both.m["name"], TRUE_M["name"], atol=0.03), both.m["name"]
    assert not np.allclose(both.m["phone"], [0.0, 1.0], atol=0.05)  # the labelling field keeps EM's m
    # too few labelled pairs (under min_labelled): EM's m, unchanged
    few = fit(candidates, random_pairs, FIELDS, labelled=(known & (np.arange(45_000) < 100), frozenset()),
              all_pairs=10_000_000)
    assert all(np.allclose(few.m[f], em.m[f]) for f in TRUE_M)
