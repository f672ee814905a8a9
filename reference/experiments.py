"""Exercises 7 and 11 run for real: train the batched reference LSTM on the 2-sequence problem.

    python -m reference.experiments ex7  --T 100 --methods bptt rtrl --max-sequences 50000 --out reference/results
    python -m reference.experiments ex11 --Ts 2 5 10 20 30 50 70 100 --out reference/results

ex7 trains each method by each recipe, seeds 0-9 unless --seeds says otherwise. The curriculum (the defaults):
T = 2, 5, 10, 20, 30, 50, 70, then the final T; a check every 1,024 training sequences; the next length once
99 % of 500 check sequences are right, and that length checked at once, before any training on it
(--no-check-on-entry turns this off); new initial weights when one length is not passed within 8,192 sequences
(--restart-after 0 turns this off). Direct training: the final T from the start, under the same restart rule.
Both are learned when 99 % of 1000 fresh test sequences of the final T are right. ex7 reports, per method and
recipe, the seeds learned, the training sequences that took (all lengths and restarts counted), and the seconds
per seed. ex11 climbs the same curriculum with both methods and reports, per length, how many seeds passed it,
when, the time per step and the memory of each method.

Each subcommand prints Markdown tables and writes them (.md and .csv) with a PNG of the learning curves into --out.
Training is plain gradient descent on the mean minibatch gradient (reference.batched sums over the batch, so the
sum is divided by the batch size); see reference.training. Anything beyond the assignment's settings is opt-in and
named in the output: --gate-bias (the 1997 paper's negative gate-bias initialisation) and --clip (gradient-norm
clipping).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from . import batched
from .data import sample_batch
from .reporting import learned_text, markdown_table, max_text, median_text, plot_curves, stages_text, write_outputs
from .rtrl import CARRIED
from .training import CURRICULUM, RESTART_AFTER, TARGET_ACCURACY, TEST_SEED, TEST_SIZE, Config, train

PAPER_SEQUENCES = 58_370  # Hochreiter & Schmidhuber 1997, Table 4, T = 100, N = 1
BYTES_PER_FLOAT = np.dtype(float).itemsize


# ---------------------------------------------------------------------------------------------------- memory


def bptt_bytes_per_sequence(hidden, T, input_size=1):
    """What BPTT keeps per sequence for backward: (h(t-1), z, i, o, c) of I numbers and x(t) at each of T steps."""
    return T * (5 * hidden + input_size) * BYTES_PER_FLOAT


def rtrl_bytes_per_sequence(hidden, input_size=1):
    """What RTRL keeps per sequence: sensitivities of W_z, R_z, b_z, W_i, R_i, b_i, and h, c (independent of T)."""
    shapes = {"W": hidden * input_size, "R": hidden * hidden, "b": hidden}
    return (sum(shapes[name[0]] for name in CARRIED) + 2 * hidden) * BYTES_PER_FLOAT


def state_bytes(method, hidden, T, input_size=1):
    if method == "bptt":
        return bptt_bytes_per_sequence(hidden, T, input_size)
    return rtrl_bytes_per_sequence(hidden, input_size)


# ---------------------------------------------------------------------------------------------------- ex7


def run_seeds(args, method, recipe, T):
    results = []
    for seed in args.seeds:
        curriculum = tuple(args.curriculum) if recipe == "curriculum" else ()
        result = train(
            config_from_args(args, T=T, method=method, seed=seed, curriculum=curriculum),
            log=print if args.verbose else None,
        )
        print(f"{method} {recipe} T={T} seed {seed}: {learned_text(result)} ({result.seconds:.1f} s)", flush=True)
        results.append(result)
    return results


def summary_row(results):
    """Seeds learned, sequences to 99 % (median, max), time per seed, for one method and recipe."""
    cfg, learned = results[0].config, [r for r in results if r.learned_at is not None]
    seconds = [r.seconds for r in results]
    steps = f"{statistics.median(r.sequence_steps for r in learned):.0f}" if learned else "—"
    starts = sum(len(r.restarts) + 1 for r in results)
    return [
        cfg.method.upper(),
        cfg.describe_recipe(),
        f"{len(learned)} of {len(results)}",
        median_text(results),
        max_text(results),
        steps,
        f"{statistics.median(seconds):.1f} / {max(seconds):.1f}",
        f"{len(learned)} of {starts}",
        "; ".join(f"s{r.config.seed}: {r.reached_T}" for r in results if r.learned_at is None) or "—",
    ]


SUMMARY_HEADER = [
    "method",
    "recipe",
    "seeds learned",
    "sequences to 99 % (median)",
    "max",
    "time steps (median)",
    "s per seed (median / max)",
    "starts (initial weights) that learned",
    "not learned: largest T passed",
]


def run_ex7(args):
    groups = {(m, r): run_seeds(args, m, r, args.T) for m in args.methods for r in args.recipes}
    rows = [
        [
            r.config.method.upper(),
            r.config.recipe,
            r.config.seed,
            learned_text(r),
            stages_text(r),
            f"{r.final_accuracy:.3f}",
            f"{r.confirm_accuracy:.3f}" if r.confirm_accuracy is not None else "",
            f"{r.final_abs_cell:.2f}",
            f"{r.seconds:.1f}",
        ]
        for results in groups.values()
        for r in results
    ]
    cfg = next(iter(groups.values()))[0].config
    summary = [summary_row(results) for results in groups.values()]
    notes = [
        f"Settings: {cfg.describe()}; checks every {cfg.eval_every} sequences; learned = at least "
        f"{TARGET_ACCURACY} of {TEST_SIZE} test sequences of length {args.T} right (test seed {cfg.test_seed}); "
        f"budget {cfg.max_sequences} training sequences per run, all stages together.",
        "Sequences are counted in full, the short ones of the curriculum included; time steps count them "
        "by length. s per seed: wall-clock time of a whole run, checks included, on a shared 2-core machine.",
        f"For orientation: the 1997 paper's LSTM needed {PAPER_SEQUENCES} sequences on average at T = 100 "
        "(3 cell blocks, online rate 1.0, negative gate biases, all of 256 test sequences right): a "
        "landmark, not a like-for-like comparison.",
        markdown_table(SUMMARY_HEADER, summary),
        "A start is one draw of initial weights: a run that restarts makes several. Starts that learned / "
        "starts is the success rate of one draw within the restart limit.",
        "Per run: stages = training sequences seen when each length was passed. confirm: accuracy on a second, "
        "independent set of 1000 test sequences, looked at once after the run stopped. |c(T)|: mean over the "
        "test set at the end (far above 1: saturated cells; the latch solution drives c to about ±T/2).",
    ]
    header = [
        "method",
        "recipe",
        "seed",
        "sequences to 99 %",
        "stages (T: sequences)",
        "final test accuracy",
        "confirm",
        "mean |c(T)|",
        "s",
    ]
    stem = args.name or f"ex7_T{args.T}"
    write_outputs(Path(args.out), stem, f"Exercise 7: the 2-sequence problem at T = {args.T}", notes, header, rows)
    plot_curves(
        Path(args.out) / f"{stem}.png",
        {
            f"{m.upper()}, {r}": [(f"seed {x.config.seed}", x.curve) for x in results]
            for (m, r), results in groups.items()
        },
        f"Exercise 7: {cfg.describe(with_method=False)}",
    )
    return [r for results in groups.values() for r in results]


# ---------------------------------------------------------------------------------------------------- ex11


def seconds_per_sequence_step(method, T, hidden, batch, repeats=5):
    """The batched gradient's time on one minibatch of length T, per sequence and step (best of `repeats`):
    the training runs spend most of their steps on short lengths, where fixed costs per call dominate."""
    rng = np.random.default_rng(0)
    p = batched.init_params(rng, 1, hidden)
    X, Y = sample_batch(rng, batch, T)
    gradient = {"bptt": batched.bptt_gradient, "rtrl": batched.rtrl_gradient}[method]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        gradient(p, X, Y)
        best = min(best, time.perf_counter() - start)
    return best / (batch * T)


def climb_rows(method, results, Ts, hidden, batch):
    """Per T: how many seeds passed it and after how many sequences (all stages counted), and its costs."""
    rows = []
    for T in Ts:
        at = [n for r in results for t, n in r.passed if t == T]
        rows.append(
            [
                method.upper(),
                T,
                f"{len(at)} of {len(results)}",
                f"{statistics.median(at):g}" if at else "—",
                max(at) if at else "—",
                f"{seconds_per_sequence_step(method, T, hidden, batch):.2e}",
                state_bytes(method, hidden, T),
            ]
        )
    return rows


def run_ex11(args):
    by_method = {}
    for method in args.methods:
        by_method[method] = []
        for seed in args.seeds:
            cfg = config_from_args(args, T=args.Ts[-1], method=method, seed=seed, curriculum=tuple(args.Ts[:-1]))
            result = train(cfg, log=print if args.verbose else None)
            print(f"{method} seed {seed}: passed {stages_text(result)} ({result.seconds:.1f} s)", flush=True)
            by_method[method].append(result)
    header = [
        "method",
        "T",
        "seeds that passed T",
        "sequences when passed (median)",
        "max",
        "s per sequence-step",
        "state bytes held per sequence",
    ]
    rows = [row for m, results in by_method.items() for row in climb_rows(m, results, args.Ts, args.hidden, args.batch)]
    summary = [
        [
            m.upper(),
            ", ".join(f"s{r.config.seed}: {r.reached_T}" for r in results),
            max((T for T in args.Ts if all(r.reached_T >= T for r in results)), default=0),
        ]
        for m, results in by_method.items()
    ]
    cfg = by_method[args.methods[0]][0].config
    notes = [
        f"Settings: {cfg.describe(with_method=False)}; one run per method and seed climbs "
        f"{cfg.describe_recipe()}; the last length is judged on {TEST_SIZE} test sequences; budget "
        f"{args.max_sequences} training sequences per run, all stages together.",
        "s per sequence-step: the batched gradient on one minibatch of that length, best of 5, divided by "
        "sequences × T (a shared machine: compare the two methods, not the absolute figures). "
        "State bytes: BPTT keeps (h(t-1), z, i, o, c, x) at every step, O(T·I); RTRL keeps the "
        "sensitivities of the z- and i-parameters and h, c, O(I(D+I)), whatever T.",
        markdown_table(["method", "largest T passed, per seed", "largest T passed by every seed"], summary),
    ]
    stem = args.name or "ex11"
    write_outputs(
        Path(args.out), stem, "Exercise 11: RTRL (LSTM learning method) vs BPTT, same curriculum", notes, header, rows
    )
    plot_curves(
        Path(args.out) / f"{stem}.png",
        {m.upper(): [(f"seed {r.config.seed}", r.curve) for r in results] for m, results in by_method.items()},
        f"Exercise 11: {cfg.describe(with_method=False)}, curriculum {'→'.join(map(str, args.Ts))}",
    )
    return by_method


# ---------------------------------------------------------------------------------------------------- CLI


def config_from_args(args, **fields):
    return Config(
        hidden=args.hidden,
        lr=args.lr,
        batch=args.batch,
        schedule=args.schedule,
        lr_decay=args.lr_decay,
        max_sequences=args.max_sequences,
        eval_every=args.eval_every,
        advance_accuracy=args.advance_accuracy,
        advance_size=args.advance_size,
        restart_after=args.restart_after or None,
        check_on_entry=args.check_on_entry,
        gate_bias=tuple(args.gate_bias) if args.gate_bias else None,
        clip=args.clip,
        test_seed=args.test_seed,
        **fields,
    )


def add_training_options(parser, lr, batch, max_sequences, eval_every, restart_after=RESTART_AFTER, on_entry=True):
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=list(range(10)), help="training seeds")
    parser.add_argument("--methods", nargs="+", choices=["bptt", "rtrl"], default=["bptt"])
    parser.add_argument("--test-seed", type=int, default=TEST_SEED)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--lr", type=float, default=lr, help="rate on the mean minibatch gradient")
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--schedule", choices=["constant", "inverse"], default="constant")
    parser.add_argument(
        "--lr-decay", type=float, default=100_000.0, help="inverse schedule: lr / (1 + sequences / LR_DECAY)"
    )
    parser.add_argument("--max-sequences", type=int, default=max_sequences, help="budget per run, all stages")
    parser.add_argument("--eval-every", type=int, default=eval_every, help="sequences between checks")
    parser.add_argument(
        "--advance-accuracy",
        type=float,
        default=TARGET_ACCURACY,
        help="curriculum: go to the next length at this accuracy on the check sequences",
    )
    parser.add_argument("--advance-size", type=int, default=500, help="curriculum: check sequences per length")
    parser.add_argument(
        "--check-on-entry",
        action=argparse.BooleanOptionalAction,
        default=on_entry,
        help="curriculum: check a new length before training on it (passes it at once if it holds)",
    )
    parser.add_argument(
        "--restart-after",
        type=int,
        default=restart_after,
        help="new initial weights when one length is not passed within this many sequences (0: never)",
    )
    parser.add_argument(
        "--gate-bias",
        type=float,
        nargs=2,
        metavar=("B_I", "B_O"),
        help="DEVIATION: initial input/output gate biases (the 1997 paper uses negative ones)",
    )
    parser.add_argument("--clip", type=float, help="DEVIATION: clip the mean gradient's norm (not plain GD)")
    parser.add_argument("--out", default="out", help="output directory")
    parser.add_argument("--name", help="file stem of the outputs")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every check")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m reference.experiments",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="exercise", required=True)
    ex7 = sub.add_parser("ex7", help="the curriculum and direct training at one T: seeds learned, sequences, time")
    ex7.add_argument("--T", type=int, default=100)
    ex7.add_argument("--recipes", nargs="+", choices=["curriculum", "direct"], default=["curriculum", "direct"])
    ex7.add_argument(
        "--curriculum",
        type=int,
        nargs="+",
        default=list(CURRICULUM),
        help="lengths trained before --T, in order (those >= T are left out)",
    )
    add_training_options(ex7, lr=10.0, batch=16, max_sequences=50_000, eval_every=1_024)
    ex11 = sub.add_parser("ex11", help="RTRL and BPTT climb the same curriculum: how far, how fast, what it costs")
    ex11.add_argument("--Ts", type=int, nargs="+", default=[2, 5, 10, 20, 30, 50, 70, 100])
    add_training_options(ex11, lr=10.0, batch=16, max_sequences=50_000, eval_every=1_024)
    ex11.set_defaults(methods=["rtrl", "bptt"])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return {"ex7": run_ex7, "ex11": run_ex11}[args.exercise](args)


if __name__ == "__main__":
    main()
