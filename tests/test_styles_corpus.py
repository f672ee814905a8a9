"""Every student's and style variant's cells run as its base's do and its data is the two-sequence problem, without
the grader; every variant is a well-formed record of the corpus that tests/test_submissions.py grades."""

import itertools
import random
import sys

import numpy as np
import pytest
from variants import FLOAT32, NAMES, OWN_DRAWS, ROOT, STUDENTS, STYLES, VARIANT_WAYS, run_cells

from reference.assignment import CODE_EXERCISES

sys.path.insert(0, str(ROOT / "submissions"))
import expectations  # noqa: E402

BREACH_KINDS = ("returns", "columns", "container", "globals")  # as grader/checks/registry.py's BREACHES


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_runs_as_in_its_base(name):
    base = STYLES[name]["base"] if name in STYLES else name
    assert run_cells(name)[1] == run_cells(base)[1]


def data_samples(ns, T, n, seed):
    np.random.seed(seed)
    random.seed(seed)
    return [
        (np.array(x, dtype=float), np.array(y, dtype=float))
        for x, y in itertools.islice(iter(ns["generate_data"](T)), n)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_the_data_is_the_two_sequence_problem(name):
    T, n = 20, 500
    got = data_samples(run_cells(name)[0], T, n, seed=5)
    assert len(got) == n and all(x.shape == (T, 1) and y.shape == (1,) for x, y in got)
    X, Y = np.array([x[:, 0] for x, _ in got]), np.array([y[0] for _, y in got])
    assert set(Y) == {0.0, 1.0} and np.all(X[:, 0] == 2 * Y - 1)
    if name in OWN_DRAWS:
        assert abs(Y.mean() - 0.5) < 0.1 and abs(X[:, 1:].mean()) < 0.03 and abs(X[:, 1:].var() - 0.2) < 0.03
    elif name in STYLES:
        base = data_samples(run_cells(STYLES[name]["base"])[0], T, n, seed=5)
        assert all(np.array_equal(x, bx) and np.array_equal(y, by) for (x, y), (bx, by) in zip(got, base))


def test_every_variant_is_a_well_formed_record_in_the_graded_corpus():
    """Every style variant is built into submissions/ as kind "style" (so tests/test_submissions.py grades it), its
    deductions name breaches the rubric knows, in code exercises, and it is driven here on its base's way or its own."""
    graded = set(expectations.names())
    for name, style in STYLES.items():
        assert name in graded and expectations.expected(name)["kind"] == "style", name
        assert style["base"] in STUDENTS and style["description"] and style["edit"], name
        assert set(style.get("deductions", {})) <= set(BREACH_KINDS), name
        assert set(style.get("deductions", {}).values()) <= set(CODE_EXERCISES), name
    assert set(VARIANT_WAYS) | OWN_DRAWS | FLOAT32 <= set(STYLES)
