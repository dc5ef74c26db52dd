"""PBO by CSCV against cases computed by hand from the definition (Bailey, Borwein, López de
Prado and Zhu 2017), and the grid neighbourhood of a winner."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

import fxjudge
from fxjudge import ConfigError
from fxjudge.results.overfitting import block_bounds, neighbourhood, pbo


def logit(rank: float, n: int) -> float:
    w = rank / (n + 1)
    return math.log(w / (1 - w))


def test_a_winner_that_reverses_is_always_overfit():
    """Two blocks of two rows; A earns 1 in the first block and 0 in the second, B the
    opposite. Split 1: IS block 0, A wins (1 > 0), OOS A = 0 < B = 1: rank 1 of 2, w = 1/3,
    logit -ln 2. Split 2: IS block 1, B wins and is worst OOS: the same. PBO = 1."""
    m = [[1, 0], [1, 0], [0, 1], [0, 1]]
    got = pbo(m, n_splits=2, metric="mean")
    assert got.pbo == 1.0
    assert got.splits == [(0,), (1,)] and got.winners == [0, 1]
    np.testing.assert_allclose(got.logits, [-math.log(2), -math.log(2)])
    np.testing.assert_array_equal(got.oos_rank, [1, 1])


def test_a_winner_that_persists_is_never_overfit():
    m = pd.DataFrame({"A": [1.0, 1, 1, 1], "B": [0.0, 0, 0, 0]})
    got = pbo(m, n_splits=2, metric="mean")
    assert got.pbo == 0.0 and got.winners == ["A", "A"]
    np.testing.assert_allclose(got.logits, [math.log(2), math.log(2)])


def test_sharpe_and_mean_of_the_same_matrix_and_both_tie_rules():
    """Six rows, two blocks of three. Column A: [1, 2, 3 | 1, 3, 5], column B: [0, 1, 2 | 2, 3, 4].

    Sharpe (mean / sd, ddof 1) per block: A 2/1 = 2 then 3/2 = 1.5; B 1/1 = 1 then 3/1 = 3.
    Split 1 (IS block 0): A wins (2 > 1), OOS A 1.5 < B 3: rank 1, logit -ln 2.
    Split 2 (IS block 1): B wins (3 > 1.5), OOS B 1 < A 2: rank 1, logit -ln 2. PBO = 1.

    Means per block: A 2 then 3; B 1 then 3.
    Split 1: A wins (2 > 1); OOS A 3 = B 3, a tie: average rank 1.5, w = 0.5, logit 0, which
    counts as overfit. Split 2: IS A 3 = B 3, a tie: the first column, A, wins; OOS A 2 > B 1:
    rank 2, logit ln 2. PBO = 1/2.
    """
    m = np.array([[1, 0], [2, 1], [3, 2], [1, 2], [3, 3], [5, 4]], dtype=float)
    sharpe = pbo(m, n_splits=2)
    assert sharpe.metric == "sharpe" and sharpe.pbo == 1.0 and sharpe.winners == [0, 1]
    np.testing.assert_allclose(sharpe.is_value, [2.0, 3.0])
    np.testing.assert_allclose(sharpe.oos_value, [1.5, 1.0])
    np.testing.assert_allclose(sharpe.logits, [-math.log(2)] * 2)
    mean = pbo(m, n_splits=2, metric="mean")
    assert mean.pbo == 0.5 and mean.winners == [0, 0]
    np.testing.assert_array_equal(mean.oos_rank, [1.5, 2.0])
    np.testing.assert_allclose(mean.logits, [0.0, math.log(2)], atol=1e-15)


# Four blocks of two rows, three configurations; the block means are
#   A: 1 0 2 3    B: 0 0 3 1    C: 1 3 3 1
# (A's rows are mean +/- 1, B's both the mean, C's mean -/+ 0.5). Equal blocks, so a side's mean
# is the mean of its two block means:
#   IS (0,1): A .5  B 0   C 2  -> C; OOS (2,3): A 2.5 B 2   C 2   -> C ties B: rank 1.5
#   IS (0,2): A 1.5 B 1.5 C 2  -> C; OOS (1,3): A 1.5 B .5  C 2   -> C rank 3
#   IS (0,3): A 2   B .5  C 1  -> A; OOS (1,2): A 1   B 1.5 C 3   -> A rank 1
#   IS (1,2): A 1   B 1.5 C 3  -> C; OOS (0,3): A 2   B .5  C 1   -> C rank 2
#   IS (1,3): A 1.5 B .5  C 2  -> C; OOS (0,2): A 1.5 B 1.5 C 2   -> C rank 3
#   IS (2,3): A 2.5 B 2   C 2  -> A; OOS (0,1): A .5  B 0   C 2   -> A rank 2
# w = rank / 4; logits ln(.6), ln 3, -ln 3, 0, ln 3, 0; overfit (<= 0): 4 of 6, PBO = 2/3.
BLOCK_MEANS = {"A": [1, 0, 2, 3], "B": [0, 0, 3, 1], "C": [1, 3, 3, 1]}
SPREAD = {"A": 1.0, "B": 0.0, "C": -0.5}


def four_blocks() -> pd.DataFrame:
    return pd.DataFrame({name: [m + d for m in means for d in (SPREAD[name], -SPREAD[name])]
                         for name, means in BLOCK_MEANS.items()})


def test_four_blocks_three_configurations_by_hand():
    got = pbo(four_blocks(), n_splits=4, metric="mean")
    assert got.splits == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert got.winners == ["C", "C", "A", "C", "C", "A"]
    np.testing.assert_array_equal(got.oos_rank, [1.5, 3, 1, 2, 3, 2])
    np.testing.assert_allclose(got.logits, [math.log(0.6), math.log(3), -math.log(3), 0.0,
                                            math.log(3), 0.0], atol=1e-15)
    assert got.pbo == pytest.approx(2 / 3)
    table = got.table()
    assert list(table["overfit"]) == [True, False, True, True, False, True]
    assert table["is_blocks"].iloc[2] == "0 3"


def test_rows_that_do_not_divide_evenly_go_to_the_first_blocks():
    """T = 5, two blocks: rows 0-2 and 3-4. A = [3, 3, 0 | 0, 1], B = 1 everywhere.
    Split 1: IS means A 2 > B 1, OOS A 0.5 < B 1: rank 1. Split 2: IS A 0.5 < B 1 -> B, OOS
    B 1 < A 2: rank 1. PBO = 1 (splitting 2 + 3 instead would give A 1 = B 1 in block 0)."""
    assert block_bounds(5, 2) == [(0, 3), (3, 5)]
    assert block_bounds(10, 4) == [(0, 3), (3, 6), (6, 8), (8, 10)]
    m = pd.DataFrame({"A": [3.0, 3, 0, 0, 1], "B": [1.0] * 5})
    got = pbo(m.to_numpy(), n_splits=2, metric="mean")
    assert got.blocks == [(0, 3), (3, 5)] and got.pbo == 1.0 and got.winners == [0, 1]
    np.testing.assert_allclose(got.is_value, [2.0, 1.0])
    np.testing.assert_allclose(got.oos_value, [0.5, 1.0])


def test_a_flat_configuration_has_sharpe_zero():
    """B never trades (all 0): its Sharpe is 0 on each side. A is +1/-1 noise whose first block
    has Sharpe (1/3) / sd([1, 1, -1]) > 0 and second block -(1/3) / sd < 0. Split 1: A wins
    (positive > 0) and is below the flat B OOS: rank 1. Split 2: B wins (0 > negative), OOS
    B 0 < A's positive Sharpe: rank 1. PBO = 1."""
    m = np.array([[1, 0], [1, 0], [-1, 0], [-1, 0], [-1, 0], [1, 0]], dtype=float)
    got = pbo(m, n_splits=2)
    assert got.winners == [0, 1] and got.pbo == 1.0
    sd = np.std([1, 1, -1], ddof=1)
    np.testing.assert_allclose(got.is_value, [(1 / 3) / sd, 0.0])
    np.testing.assert_allclose(got.oos_value, [-(1 / 3) / sd, 0.0])


def brute_force(m: np.ndarray, n_splits: int, metric: str) -> tuple[np.ndarray, list[int]]:
    """The paper's procedure written plainly: gather the rows, compute, rank with rankdata."""
    blocks = np.array_split(np.arange(len(m)), n_splits)
    logits, winners = [], []
    for split in itertools.combinations(range(n_splits), n_splits // 2):
        inside = np.concatenate([blocks[b] for b in split])
        outside = np.concatenate([blocks[b] for b in range(n_splits) if b not in split])

        def stat(rows):  # compared at 12 significant digits, as pbo documents
            part = m[rows]
            if metric == "mean":
                values = part.mean(axis=0)
            else:
                values = part.mean(axis=0) / part.std(axis=0, ddof=1)
            return np.array([float(f"{v:.12g}") for v in values])

        best = int(np.argmax(stat(inside)))
        rank = rankdata(stat(outside))[best]
        logits.append(logit(rank, m.shape[1]))
        winners.append(best)
    return np.array(logits), winners


@pytest.mark.parametrize("metric", ["mean", "sharpe"])
def test_agrees_with_the_plain_procedure_and_rankdata_on_random_matrices(metric):
    rng = np.random.default_rng(7)
    for rows, columns, splits in ((40, 5, 4), (37, 9, 6), (50, 12, 8)):
        m = rng.integers(-3, 4, size=(rows, columns)).astype(float)  # many ties
        m[:, 0] = m[:, 1]  # two identical configurations
        expected, winners = brute_force(m, splits, metric)
        got = pbo(m, n_splits=splits, metric=metric)
        assert got.winners == winners
        np.testing.assert_allclose(got.logits, expected, rtol=1e-12, atol=1e-12)
        assert got.pbo == np.mean(expected <= 0)


def test_pure_noise_is_overfit_about_half_the_time():
    rng = np.random.default_rng(3)
    got = fxjudge.pbo(rng.normal(0, 0.01, size=(400, 50)), n_splits=10)
    assert len(got.logits) == math.comb(10, 5)
    assert 0.3 < got.pbo < 0.7


def test_bad_input_names_the_parameter():
    with pytest.raises(ConfigError, match="`n_splits` must be an even int >= 2, was 3"):
        pbo(np.zeros((10, 3)), n_splits=3)
    with pytest.raises(ConfigError, match="did you mean 'sharpe'"):
        pbo(np.zeros((10, 3)), n_splits=2, metric="sharp")
    with pytest.raises(ConfigError, match="at most the number of rows"):
        pbo(np.zeros((6, 3)), n_splits=8)
    with pytest.raises(ConfigError, match="two or more configurations"):
        pbo(np.zeros((10, 1)), n_splits=2)
    with pytest.raises(ConfigError, match="must be finite numbers, was nan at row 2, column 'b'"):
        pbo(pd.DataFrame({"a": [0.0] * 4, "b": [0, 0, np.nan, 0]}), n_splits=2)


def test_neighbourhood_of_a_plateau_and_a_spike():
    grid = {"fast": [5, 10, 15], "slow": [20, 30]}
    rows = [{"fast": f, "slow": s, "sharpe": v} for (f, s), v in {
        (5, 20): 0.9, (10, 20): 1.0, (15, 20): 0.95, (5, 30): 0.1, (10, 30): 0.2,
        (15, 30): 0.0}.items()]
    table = neighbourhood(pd.DataFrame(rows), grid, "sharpe", {"fast": 10, "slow": 20})
    fast, slow = table.iloc[0], table.iloc[1]
    assert fast["below_value"] == 5 and fast["above_value"] == 15
    assert fast["largest_drop"] == pytest.approx(0.1) and fast["relative_drop"] == pytest.approx(
        0.1)
    assert pd.isna(slow["below_value"]) and math.isnan(slow["below_objective"])
    assert slow["above_objective"] == 0.2 and slow["largest_drop"] == pytest.approx(0.8)
