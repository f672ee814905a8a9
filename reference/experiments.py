"""Exercises 7 and 11 run for real: train the batched reference LSTM on the 2-sequence problem.

    python -m reference.experiments ex7  --T 100 --seeds 0 1 2 3 4 5 6 7 --lr 10 --batch 16 --max-sequences 30000
    python -m reference.experiments ex11 --Ts 1 2 5 10 20 30 50 100 --seeds 0 1 2 --max-sequences 50000

Each subcommand prints a Markdown table and writes it (.md and .csv) with a PNG of the learning curves into --out.
Training is plain gradient descent on the mean minibatch gradient (reference.batched sums over the batch, so the
sum is divided by the batch size). Anything beyond the assignment's settings is opt-in and named in the output:
--gate-bias (the 1997 paper's negative gate-bias initialisation) and --clip (gradient-norm clipping).
"""
import argparse
import csv
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

from . import batched
from .data import sample_batch
from .rtrl import CARRIED

TARGET_ACCURACY = 0.99
TEST_SIZE = 1000
TEST_SEED = 20_251_129  # the test set's own seed, never a training seed
PAPER_SEQUENCES = 58_370  # Hochreiter & Schmidhuber 1997, Table 4, T = 100, N = 1
BYTES_PER_FLOAT = np.dtype(float).itemsize


# ---------------------------------------------------------------------------------------------------- data


def test_set(T, seed=TEST_SEED):
    return sample_batch(np.random.default_rng(seed), TEST_SIZE, T)


# ---------------------------------------------------------------------------------------------------- training


@dataclasses.dataclass
class Config:
    T: int = 100
    method: str = "bptt"  # "bptt" (full gradient) or "rtrl" (LSTM learning method)
    hidden: int = 32
    lr: float = 1.0  # applied to the MEAN minibatch gradient
    batch: int = 16
    schedule: str = "constant"  # "constant" or "inverse": lr / (1 + sequences / lr_decay)
    lr_decay: float = 100_000.0  # sequences over which the "inverse" schedule halves the rate
    max_sequences: int = 100_000
    eval_every: int = 1_000  # sequences between test evaluations (rounded up to whole batches)
    gate_bias: tuple | None = None  # (b_i, b_o) initial gate biases: a deviation from the assignment's ±0.01
    clip: float | None = None  # max norm of the mean gradient: a deviation from plain gradient descent
    seed: int = 0
    test_seed: int = TEST_SEED

    def deviations(self):
        out = []
        if self.gate_bias is not None:
            out.append(f"gate-bias init b_i={self.gate_bias[0]:g}, b_o={self.gate_bias[1]:g}")
        if self.clip is not None:
            out.append(f"gradient-norm clipping at {self.clip:g}")
        return out

    def describe(self, with_method=True):
        sched = "constant" if self.schedule == "constant" else f"lr/(1+n/{self.lr_decay:g})"
        text = f"I={self.hidden}, lr={self.lr:g} ({sched}), batch={self.batch}"
        text = f"{self.method.upper()}, {text}" if with_method else text
        return text + "".join(f"; DEVIATION: {d}" for d in self.deviations())


@dataclasses.dataclass
class Result:
    config: Config
    learned_at: int | None  # training sequences seen when test accuracy first reached the target
    final_accuracy: float
    sequences: int  # training sequences seen in all
    gradient_seconds: float  # time spent in the gradient function alone
    curve: list  # (sequences, test accuracy, mean training loss since the previous evaluation)
    final_abs_cell: float  # mean |c(T)| over the test set at the end: ≫ 1 means saturated cells (state drift)

    @property
    def seconds_per_sequence_step(self):
        return self.gradient_seconds / (self.sequences * self.config.T)


def initial_params(cfg, rng):
    p = batched.init_params(rng, 1, cfg.hidden)
    if cfg.gate_bias is not None:
        p["b_i"][:] = cfg.gate_bias[0]
        p["b_o"][:] = cfg.gate_bias[1]
    return p


def learning_rate(cfg, sequences):
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "inverse":
        return cfg.lr / (1.0 + sequences / cfg.lr_decay)
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


def descend(p, grads, batch_size, lr, clip=None):
    """One plain gradient-descent step on the mean gradient (optionally clipped: a deviation)."""
    scale = lr / batch_size
    if clip is not None:
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values())) / batch_size
        if norm > clip:
            scale *= clip / norm
    for name, g in grads.items():
        p[name] -= scale * g


def train(cfg, log=None):
    """Train until TARGET_ACCURACY on the test set or cfg.max_sequences; return a Result."""
    rng = np.random.default_rng(cfg.seed)
    p = initial_params(cfg, rng)
    X_test, Y_test = test_set(cfg.T, cfg.test_seed)
    gradient = {"bptt": batched.bptt_gradient, "rtrl": batched.rtrl_gradient}[cfg.method]
    eval_every = max(1, -(-cfg.eval_every // cfg.batch)) * cfg.batch
    seen, grad_seconds, loss_since, seen_since, curve, learned_at = 0, 0.0, 0.0, 0, [], None
    accuracy = batched.accuracy(p, X_test, Y_test)
    curve.append((0, accuracy, float("nan")))
    while seen < cfg.max_sequences:
        X, Y = sample_batch(rng, cfg.batch, cfg.T)
        start = time.perf_counter()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a saturated ŷ makes log(0)
            loss, grads = gradient(p, X, Y)
        grad_seconds += time.perf_counter() - start
        descend(p, grads, cfg.batch, learning_rate(cfg, seen), cfg.clip)
        seen += cfg.batch
        loss_since, seen_since = loss_since + loss, seen_since + cfg.batch
        if seen % eval_every == 0 or seen >= cfg.max_sequences:
            with np.errstate(over="ignore"):
                accuracy = batched.accuracy(p, X_test, Y_test)
            curve.append((seen, accuracy, loss_since / seen_since))
            loss_since, seen_since = 0.0, 0
            if log:
                log(f"  seed {cfg.seed} T={cfg.T} {cfg.method}: {seen:>8} sequences, "
                    f"test accuracy {accuracy:.3f}, train loss {curve[-1][2]:.4f}")
            if accuracy >= TARGET_ACCURACY:
                learned_at = seen
                break
            if not all(np.all(np.isfinite(v)) for v in p.values()):
                break  # diverged: nothing more to learn
    with np.errstate(over="ignore"):
        final_abs_cell = float(np.mean(np.abs(batched.run(p, X_test)[2][-1][4])))
    return Result(cfg, learned_at, accuracy, seen, grad_seconds, curve, final_abs_cell)


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


# ---------------------------------------------------------------------------------------------------- output


def learned_text(result):
    if result.learned_at is not None:
        return f"{result.learned_at}"
    return f"not learned within {result.sequences} (acc {result.final_accuracy:.3f})"


def median_text(results):
    """Median of sequences needed; a run not learned counts as more than its budget."""
    values = sorted(r.learned_at if r.learned_at is not None else float("inf") for r in results)
    lower, upper = values[(len(values) - 1) // 2], values[len(values) // 2]
    if upper == float("inf"):
        return f"> {max(r.sequences for r in results)} (half or more not learned)"
    return f"{(lower + upper) / 2:g}"


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_outputs(out_dir, stem, title, notes, header, rows):
    out_dir.mkdir(parents=True, exist_ok=True)
    text = f"# {title}\n\n" + "".join(f"{n}\n\n" for n in notes) + markdown_table(header, rows) + "\n"
    (out_dir / f"{stem}.md").write_text(text)
    with open(out_dir / f"{stem}.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(text)
    return text


def write_curves(path, panels):
    """The learning curves behind the PNG, one row per evaluation."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["panel", "group", "run", "sequences", "test accuracy", "mean training loss"])
        for panel, lines in panels.items():
            for group, run, curve in lines:
                writer.writerows([panel, group, run, n, f"{acc:.4f}", f"{loss:.4f}"] for n, acc, loss in curve)


def plot_curves(path, panels, title):
    """panels: {panel title: [(group, run label, curve)]}: one colour and legend entry per group, one line style
    per run within a group; test accuracy against training sequences. Also writes the curves as CSV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.5), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], panels.items()):
        colours, runs_drawn = {}, {}
        for group, _, curve in lines:
            colour = colours.setdefault(group, f"C{len(colours) % 10}")
            k = runs_drawn[group] = runs_drawn.get(group, -1) + 1
            seqs, acc, _ = zip(*curve)
            ax.plot(seqs, acc, color=colour, linestyle=["-", "--", ":", "-."][k % 4], label=None if k else group)
        ax.axhline(TARGET_ACCURACY, color="grey", linestyle=":", linewidth=1)
        ax.set(title=panel, xlabel="training sequences", ylabel="test accuracy (1000 sequences)", ylim=(0.4, 1.02))
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title + "  (line style: seed)" if any(len(v) > len({g for g, _, _ in v}) for v in panels.values())
                 else title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    write_curves(path.with_name(path.stem + "_curves.csv"), panels)


# ---------------------------------------------------------------------------------------------------- ex7


def run_ex7(args):
    results = []
    for seed in args.seeds:
        cfg = config_from_args(args, T=args.T, method="bptt", seed=seed)
        result = train(cfg, log=print if args.verbose else None)
        print(f"seed {seed}: {learned_text(result)} ({result.gradient_seconds:.0f} s in gradients)", flush=True)
        results.append(result)
    cfg = results[0].config
    stem = args.name or f"ex7_T{args.T}"
    header = ["seed", "T", "sequences needed (test acc >= 0.99)", "final test accuracy", "mean abs c(T) at end",
              "s per sequence-step"]
    rows = [[r.config.seed, r.config.T, learned_text(r), f"{r.final_accuracy:.3f}", f"{r.final_abs_cell:.2f}",
             f"{r.seconds_per_sequence_step:.2e}"] for r in results]
    learned = sum(r.learned_at is not None for r in results)
    rows.append(["median", args.T, median_text(results), f"learned in {learned} of {len(results)} runs", "", ""])
    rows.append(["1997 paper (Table 4, N=1)", 100, PAPER_SEQUENCES, "", "", ""])
    notes = [f"Settings: {cfg.describe()}; evaluation every {cfg.eval_every} sequences on {TEST_SIZE} test "
             f"sequences (seed {cfg.test_seed}); budget {cfg.max_sequences} sequences.",
             "The paper's figure is for its own architecture (3 cell blocks, online learning rate 1.0, negative "
             "gate biases) and its own stopping rule (all of 256 test sequences right), so it is a landmark, not a "
             "like-for-like comparison.",
             "mean abs c(T): the cells' state at the last step, averaged over the test set, when training ended. "
             "Far above 1: the cells drifted into saturation (no forget gate pulls c back; tanh'(c) ≈ 0 cuts the "
             "error flow). Near 0: the cells went quiet and the output is a constant."]
    write_outputs(Path(args.out), stem, f"Exercise 7: BPTT on the 2-sequence problem, T = {args.T}", notes,
                  header, rows)
    plot_curves(Path(args.out) / f"{stem}.png",
                {f"T = {args.T}": [(f"seed {r.config.seed}", f"seed {r.config.seed}", r.curve) for r in results]},
                f"Exercise 7: {cfg.describe()}")
    return results


# ---------------------------------------------------------------------------------------------------- ex11


def climb(method, Ts, args, log):
    """For each seed, train at each T in turn until one is not learned; return [(T, runs at that T)]."""
    per_T = {T: [] for T in Ts}
    for seed in args.seeds:
        for T in Ts:
            result = train(config_from_args(args, T=T, method=method, seed=seed), log=log)
            print(f"{method} T={T} seed {seed}: {learned_text(result)}", flush=True)
            per_T[T].append(result)
            if result.learned_at is None and not args.keep_going:
                break
    return [(T, runs) for T, runs in per_T.items() if runs]


def largest_T_per_seed(per_T):
    """{seed: largest T learned (0 if none)}."""
    largest = {}
    for T, runs in per_T:
        for r in runs:
            largest.setdefault(r.config.seed, 0)
            if r.learned_at is not None:
                largest[r.config.seed] = max(largest[r.config.seed], T)
    return largest


def run_ex11(args):
    log = print if args.verbose else None
    by_method = {m: climb(m, args.Ts, args, log) for m in args.methods}
    header = ["method", "T", "sequences needed, per seed", "final test accuracy", "s per sequence-step",
              "state bytes held per sequence", "state bytes / T"]
    rows, summary = [], []
    for method, per_T in by_method.items():
        for T, runs in per_T:
            step_seconds = statistics.median(r.seconds_per_sequence_step for r in runs)
            nbytes = state_bytes(method, args.hidden, T)
            rows.append([method.upper(), T, "; ".join(f"s{r.config.seed}: {learned_text(r)}" for r in runs),
                         " ".join(f"{r.final_accuracy:.3f}" for r in runs), f"{step_seconds:.2e}",
                         nbytes, f"{nbytes / T:.0f}"])
        largest = largest_T_per_seed(per_T)
        summary.append([method.upper(), ", ".join(f"s{seed}: {T}" for seed, T in largest.items()),
                        statistics.median_low(largest.values())])
    cfg = config_from_args(args, T=0, method=args.methods[0], seed=args.seeds[0])
    notes = [f"Settings: {cfg.describe(with_method=False)}; budget {args.max_sequences} training sequences "
             f"per (method, T, seed); learned = test accuracy >= {TARGET_ACCURACY} on {TEST_SIZE} sequences.",
             "s per sequence-step: seconds spent in the batched gradient function divided by sequences × T. "
             "State bytes: BPTT keeps (h(t-1), z, i, o, c, x) at every step, O(T·I); RTRL keeps the "
             "sensitivities of the z- and i-parameters and h, c, O(I(D+I)), whatever T.",
             "Each seed climbs the T list until its first T not learned (unless --keep-going).",
             markdown_table(["method", "largest T learned, per seed", "median (low) over seeds"], summary)]
    write_outputs(Path(args.out), args.name or "ex11", "Exercise 11: RTRL (LSTM learning method) vs BPTT",
                  notes, header, rows)
    plot_curves(Path(args.out) / f"{args.name or 'ex11'}.png",
                {m.upper(): [(f"T={T}", f"seed {r.config.seed}", r.curve) for T, runs in per_T for r in runs]
                 for m, per_T in by_method.items()},
                "Exercise 11: learning curves")
    return by_method


# ---------------------------------------------------------------------------------------------------- CLI


def config_from_args(args, **fields):
    return Config(hidden=args.hidden, lr=args.lr, batch=args.batch, schedule=args.schedule,
                  lr_decay=args.lr_decay, max_sequences=args.max_sequences, eval_every=args.eval_every,
                  gate_bias=tuple(args.gate_bias) if args.gate_bias else None, clip=args.clip,
                  test_seed=args.test_seed, **fields)


def add_training_options(parser, lr, batch, max_sequences, eval_every):
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0], help="training seeds")
    parser.add_argument("--test-seed", type=int, default=TEST_SEED)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--lr", type=float, default=lr, help="rate on the mean minibatch gradient")
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--schedule", choices=["constant", "inverse"], default="constant")
    parser.add_argument("--lr-decay", type=float, default=100_000.0,
                        help="inverse schedule: lr / (1 + sequences / LR_DECAY)")
    parser.add_argument("--max-sequences", type=int, default=max_sequences, help="budget per run")
    parser.add_argument("--eval-every", type=int, default=eval_every, help="sequences between evaluations")
    parser.add_argument("--gate-bias", type=float, nargs=2, metavar=("B_I", "B_O"),
                        help="DEVIATION: initial input/output gate biases (the 1997 paper uses negative ones)")
    parser.add_argument("--clip", type=float, help="DEVIATION: clip the mean gradient's norm (not plain GD)")
    parser.add_argument("--out", default="out", help="output directory")
    parser.add_argument("--name", help="file stem of the outputs")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every evaluation")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reference.experiments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="exercise", required=True)
    ex7 = sub.add_parser("ex7", help="BPTT, 32 hidden units, at one T: sequences needed per seed")
    ex7.add_argument("--T", type=int, default=100)
    add_training_options(ex7, lr=10.0, batch=16, max_sequences=30_000, eval_every=1_024)
    ex11 = sub.add_parser("ex11", help="RTRL and BPTT from T = 1 upwards within one budget")
    ex11.add_argument("--Ts", type=int, nargs="+", default=[1, 2, 5, 10, 20, 30, 50, 100])
    ex11.add_argument("--methods", nargs="+", choices=["rtrl", "bptt"], default=["rtrl", "bptt"])
    ex11.add_argument("--keep-going", action="store_true", help="try every T even after one was not learned")
    add_training_options(ex11, lr=10.0, batch=16, max_sequences=50_000, eval_every=1_024)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return {"ex7": run_ex7, "ex11": run_ex11}[args.exercise](args)


if __name__ == "__main__":
    main()
