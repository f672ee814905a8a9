"""The experiment entry points (exercises 7 and 11) run end to end at tiny sizes and learn the short task."""
import numpy as np
import pytest

from reference import experiments
from reference.data import NOISE_VARIANCE, sample_batch


def test_sample_batch_draws_the_task_distribution():
    X, Y = sample_batch(np.random.default_rng(1), 20_000, 5)
    assert X.shape == (20_000, 5, 1) and Y.shape == (20_000, 1)
    assert np.array_equal(X[:, 0, 0], np.where(Y[:, 0] == 1.0, 1.0, -1.0))
    assert abs(Y.mean() - 0.5) < 0.02
    assert abs(X[:, 1:].var() - NOISE_VARIANCE) < 0.01 and abs(X[:, 1:].mean()) < 0.01


def test_ex7_runs_end_to_end_and_learns_T3(tmp_path, capsys):
    results = experiments.main(["ex7", "--T", "3", "--seeds", "0", "1", "--lr", "10", "--batch", "16",
                                "--max-sequences", "4000", "--eval-every", "160", "--out", str(tmp_path)])
    assert all(r.learned_at is not None and r.final_accuracy >= 0.99 for r in results)
    table = (tmp_path / "ex7_T3.md").read_text()
    assert "median" in table and "58370" in table
    assert (tmp_path / "ex7_T3.csv").exists()
    assert (tmp_path / "ex7_T3.png").read_bytes()[:4] == b"\x89PNG"
    assert "| median |" in capsys.readouterr().out


def test_ex7_reports_a_run_that_ran_out_of_budget(tmp_path):
    results = experiments.main(["ex7", "--T", "3", "--seeds", "0", "--lr", "10", "--batch", "16",
                                "--max-sequences", "32", "--eval-every", "16", "--out", str(tmp_path)])
    assert results[0].learned_at is None and results[0].sequences == 32
    assert "not learned within 32" in (tmp_path / "ex7_T3.md").read_text()


def test_ex11_runs_end_to_end_and_both_methods_learn_tiny_T(tmp_path):
    by_method = experiments.main(["ex11", "--Ts", "1", "2", "3", "--hidden", "8", "--lr", "10", "--batch", "16",
                                  "--max-sequences", "4000", "--eval-every", "160", "--out", str(tmp_path)])
    for method in ("rtrl", "bptt"):
        per_T = by_method[method]
        assert [T for T, _ in per_T] == [1, 2, 3]
        assert all(r.learned_at is not None for _, runs in per_T for r in runs)
    table = (tmp_path / "ex11.md").read_text()
    assert "| RTRL | s0: 3 | 3 |" in table and "| BPTT | s0: 3 | 3 |" in table
    assert (tmp_path / "ex11.png").read_bytes()[:4] == b"\x89PNG"


def test_state_bytes_grow_with_T_for_bptt_only():
    assert experiments.state_bytes("bptt", 32, 100) == 10 * experiments.state_bytes("bptt", 32, 10)
    assert experiments.state_bytes("rtrl", 32, 100) == experiments.state_bytes("rtrl", 32, 10)
    # W_z, W_i (I×D), R_z, R_i (I×I), b_z, b_i (I) sensitivities and h, c
    assert experiments.rtrl_bytes_per_sequence(32) == 8 * (2 * 32 + 2 * 32 * 32 + 2 * 32 + 2 * 32)


def test_rtrl_memory_matches_the_reference_buffers():
    from reference import LSTM_RTRL

    model = LSTM_RTRL(1, 16, rng=np.random.default_rng(0))
    held = sum(s.nbytes for s in model.S.values()) + model.h.nbytes + model.c.nbytes
    assert experiments.rtrl_bytes_per_sequence(16) == held


@pytest.mark.slow
def test_bench_rtrl_cost_runs(tmp_path):
    import runpy
    import sys

    argv = sys.argv
    sys.argv = ["rtrl_cost.py", "--sizes", "8", "16", "32", "--fit", "8", "32", "--repeats", "2",
                "--seconds", "0.005", "--out", str(tmp_path)]
    try:
        runpy.run_path("bench/rtrl_cost.py", run_name="__main__")
    finally:
        sys.argv = argv
    assert "RTRL time exponent" in (tmp_path / "rtrl_cost.md").read_text()
