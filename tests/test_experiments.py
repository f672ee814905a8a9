"""The experiments of exercises 7 and 11: the curriculum's bookkeeping, the diagnostics, and the entry points
run end to end at tiny sizes."""

import numpy as np
import pytest

from reference import batched, diagnostics, experiments, training
from reference.data import NOISE_VARIANCE, sample_batch


def test_sample_batch_draws_the_task_distribution():
    X, Y = sample_batch(np.random.default_rng(1), 20_000, 5)
    assert X.shape == (20_000, 5, 1) and Y.shape == (20_000, 1)
    assert np.array_equal(X[:, 0, 0], np.where(Y[:, 0] == 1.0, 1.0, -1.0))
    assert abs(Y.mean() - 0.5) < 0.02
    assert abs(X[:, 1:].var() - NOISE_VARIANCE) < 0.01 and abs(X[:, 1:].mean()) < 0.01


def test_ex7_runs_both_recipes_end_to_end(tmp_path, capsys):
    results = experiments.main(
        "ex7 --T 5 --curriculum 2 3 --seeds 0 1 --lr 10 --max-sequences 4000 --eval-every 160".split()
        + ["--out", str(tmp_path)]
    )
    curriculum = [r for r in results if r.config.recipe == "curriculum"]
    assert [r.config.stages for r in curriculum] == [(2, 3, 5)] * 2
    assert all(r.learned_at is not None and r.final_accuracy >= 0.99 for r in curriculum)
    table = (tmp_path / "ex7_T5.md").read_text()
    assert "| BPTT | curriculum T=2→3→5" in table and "| BPTT | direct at T=5" in table and "58370" in table
    assert (tmp_path / "ex7_T5.csv").exists() and (tmp_path / "ex7_T5_curves.csv").exists()
    assert (tmp_path / "ex7_T5.png").read_bytes()[:4] == b"\x89PNG"
    assert "2 of 2" in capsys.readouterr().out


def test_ex7_reports_a_run_that_ran_out_of_budget(tmp_path):
    results = experiments.main(
        "ex7 --T 3 --recipes direct --seeds 0 --lr 10 --max-sequences 32 --eval-every 16".split()
        + ["--out", str(tmp_path)]
    )
    assert results[0].learned_at is None and results[0].sequences == 32
    table = (tmp_path / "ex7_T3.md").read_text()
    assert "not learned within 32" in table and "| 0 of 1 | > 32 (half or more not learned) | > 32 |" in table


def test_ex11_runs_end_to_end_and_both_methods_climb_tiny_T(tmp_path):
    by_method = experiments.main(
        "ex11 --Ts 1 2 3 --seeds 0 --hidden 8 --lr 10 --max-sequences 4000 --eval-every 160".split()
        + ["--out", str(tmp_path)]
    )
    for method in ("rtrl", "bptt"):
        (result,) = by_method[method]
        assert [T for T, _ in result.passed] == [1, 2, 3] and result.learned_at == result.passed[-1][1]
    table = (tmp_path / "ex11.md").read_text()
    assert "| RTRL | s0: 3 | 3 |" in table and "| BPTT | s0: 3 | 3 |" in table
    assert "| RTRL | 3 | 1 of 1 |" in table
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
    sys.argv = [
        "rtrl_cost.py",
        "--sizes",
        "8",
        "16",
        "32",
        "--fit",
        "8",
        "32",
        "--repeats",
        "2",
        "--seconds",
        "0.005",
        "--out",
        str(tmp_path),
    ]
    try:
        runpy.run_path("bench/rtrl_cost.py", run_name="__main__")
    finally:
        sys.argv = argv
    assert "RTRL time exponent" in (tmp_path / "rtrl_cost.md").read_text()


# ---------------------------------------------------------------- the curriculum


def test_stages_keep_the_curriculum_below_T_and_end_at_T():
    assert training.Config(T=50, curriculum=(10, 20, 30, 50, 70, 100)).stages == (10, 20, 30, 50)
    assert training.Config(T=100, curriculum=(10, 20)).stages == (10, 20, 100)
    direct = training.Config(T=100)
    assert direct.stages == (100,) and direct.recipe == "direct"


def test_a_curriculum_counts_every_sequence_and_every_step():
    cfg = training.Config(T=6, curriculum=(2, 4), hidden=8, lr=10, batch=16, eval_every=64, max_sequences=6000, seed=3)
    result = training.train(cfg)
    assert [T for T, _ in result.passed] == [2, 4, 6] and result.learned_at == result.passed[-1][1]
    ends = [n for _, n in result.passed]
    assert ends == sorted(ends) and all(n % 64 == 0 for n in ends)
    assert result.sequences == result.learned_at
    starts = [0] + ends[:-1]
    assert result.sequence_steps == sum(T * (end - start) for (T, end), start in zip(result.passed, starts))
    assert result.confirm_accuracy >= 0.95  # a second test set agrees with the one the run stopped on


def test_the_advance_rule_checks_its_own_sequences_and_the_last_length_the_test_set():
    sets = training.Sets(training.Config(T=5, curriculum=(3,), advance_size=200))
    X_check, _ = sets.check(3)
    X_test, _ = sets.check(5)
    assert X_check.shape == (200, 3, 1) and X_test.shape == (training.TEST_SIZE, 5, 1)
    assert np.array_equal(X_test, training.test_set(5)[0])
    assert not np.allclose(X_check[:, 1:], training.test_set(3, size=200)[0][:, 1:])  # not the test seed


def test_a_run_stuck_on_one_length_starts_again_and_keeps_counting():
    cfg = training.Config(
        T=4,
        curriculum=(2,),
        hidden=4,
        lr=10,
        batch=16,
        eval_every=32,
        max_sequences=256,
        advance_accuracy=1.01,
        restart_after=64,
    )  # 1.01: the first length is never passed
    result = training.train(cfg)
    assert result.restarts == [(64, 2), (128, 2), (192, 2), (256, 2)]
    assert result.sequences == 256 and result.learned_at is None and result.passed == []


def test_a_restart_draws_new_weights():
    run = training.Run(training.Config(T=4, hidden=4))
    before = {k: v.copy() for k, v in run.p.items()}
    run.restart()
    assert not any(np.array_equal(before[k], run.p[k]) for k in before)


# ---------------------------------------------------------------- the diagnostics


def test_with_no_recurrent_weights_the_error_reaches_step_1_through_the_cell_unchanged():
    rng = np.random.default_rng(0)
    p = batched.init_params(rng, 1, 6)
    for g in "zio":
        p[f"R_{g}"][:] = 0.0
    X, Y = sample_batch(rng, 8, 12)
    trace = []
    batched.bptt_gradient(p, X, Y, trace=trace)
    assert len(trace) == 12 and np.allclose(trace[-1], trace[0]) and np.abs(trace[0]).max() > 0


def test_probe_tells_saturated_from_silent_cells():
    rng = np.random.default_rng(1)
    X, Y = sample_batch(rng, 64, 50)
    drifting = batched.init_params(rng, 1, 8)
    drifting["b_z"][:], drifting["b_i"][:] = 5.0, 5.0  # every step adds about +1 to every cell
    probe = diagnostics.probe(drifting, X, Y)
    assert probe["saturated"] == 1.0 and probe["abs_c"] > 40 and probe["dc1"] < 1e-12
    closed = batched.init_params(rng, 1, 8)
    closed["b_o"][:] = -12.0
    probe = diagnostics.probe(closed, X, Y)
    assert probe["abs_h"] < 1e-6 and probe["saturated"] == 0.0 and probe["o_last"] < 1e-4


def test_at_long_T_the_first_step_moves_the_cells_for_both_classes_alike():
    def medians(T):
        runs = [diagnostics.early_steps(T, seed, lr=10, batch=16, steps=1) for seed in range(5)]
        return np.median(runs, axis=0)

    (share_2, drift_2, class_2), (share_100, drift_100, class_100) = medians(2), medians(100)
    assert share_2 > 3 * share_100  # step 1 is a smaller part of the gradient
    assert drift_100 / class_100 > 30 * drift_2 / class_2  # and the drift outgrows the class part


def test_diagnostics_run_end_to_end_and_place_each_run(tmp_path):
    runs = diagnostics.main(
        "--T 3 --seeds 0 --max-sequences 64 --eval-every 32 --early-Ts 2 3".split() + ["--out", str(tmp_path)]
    )
    (result, rows), report = runs[0], (tmp_path / "diagnose_direct_T3.md").read_text()
    assert result.config.restart_after is None and not result.config.check_on_entry and len(rows) >= 2
    assert f"Outcomes: 1 {diagnostics.verdict(result, rows)}" in report
    assert (tmp_path / "diagnose_direct_T3.png").read_bytes()[:4] == b"\x89PNG"
