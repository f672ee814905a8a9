"""Why direct training at T = 100 fails: the error that reaches step 1, the cells and the gates over training.

    python -m reference.diagnostics --T 100 --seeds 0 1 2 3 4 5 --max-sequences 12000 --eval-every 1024 \
        --out reference/results
    python -m reference.diagnostics --T 100 --curriculum 10 20 30 50 70 ... --name diagnose_curriculum_T100

The training options are those of reference.experiments (the first of --methods is probed), with direct training
and no restarts by default.

Every check of a run probes the network on PROBE_SIZE fixed sequences of the current length: the size of
dL/dc(1) (the error that can still write x(1) into the cells), step 1's share of the cell-input gradient, the
cells' |c(T)|, how many cells are saturated, how well the best cell separates the two classes, and the mean
activations of the gates. A run that did not learn is then placed: "saturated" (most cells |c(T)| > 2, where
tanh' < 0.07 stops the error at the cell output) or "silent" (h(T) ≈ 0: the output gates have closed).
The first steps from the initial weights, against T, show the cause behind both: see early_steps.
"""

import argparse
import csv
from pathlib import Path

import numpy as np

from . import batched
from .activations import sigmoid_derivative, tanh_derivative
from .data import sample_batch
from .experiments import add_training_options, config_from_args
from .reporting import markdown_table
from .training import Config, descend, initial_params, train

PROBE_SIZE = 256
PROBE_SEED = 9_999_991  # the probe batch's own seed
SATURATED = 2.0  # |c| above this: tanh'(c) < 0.07, the cell passes less than 7 % of the error
SILENT = 0.05  # mean |h(T)| below this: the cells say next to nothing to the output
FIELDS = (
    "accuracy",
    "loss",
    "dc1",
    "first_share",
    "abs_c",
    "saturated",
    "latched",
    "separation",
    "i_first",
    "i_rest",
    "o_last",
    "abs_h",
)
LABELS = {
    "accuracy": "accuracy (probe sequences)",
    "loss": "mean loss",
    "dc1": "mean ‖dL/dc(1)‖",
    "first_share": "step 1's share of the z, i gradient",
    "abs_c": "mean |c(T)|",
    "saturated": f"share of cells with |c(T)| > {SATURATED:g}",
    "latched": f"share of cells latched (|c(T)| > {SATURATED:g}, sign = class)",
    "separation": "best cell's class separation d'",
    "i_first": "mean i(1)",
    "i_rest": "mean i(t), t > 1",
    "o_last": "mean o(T)",
    "abs_h": "mean |h(T)|",
}


# ------------------------------------------------------------------------------------------------ probing


def first_step_gradient(p, X, steps, dc1):
    """The part of the z- and i-gradient that step 1 contributes: δ(1) = dL/dc(1) ⊙ ∂c(1)/∂s(1), h(0) = 0."""
    _, s, z, i, _, _ = steps[0]
    deltas = {"z": dc1 * i * tanh_derivative(s["z"]), "i": dc1 * z * sigmoid_derivative(s["i"])}
    return [a for d in deltas.values() for a in (d.T @ X[:, 0], d.sum(axis=0))]


def first_share(p, X, grads, steps, dc1):
    """‖step 1's part‖ / ‖whole gradient‖ over the z- and i-parameters. Only step 1 carries the class; every
    other step adds noise and, through the biases and the slowly changing h, a drift that does not depend on it."""
    whole = np.sqrt(sum(np.sum(grads[f"{k}_{g}"] ** 2) for g in "zi" for k in "WRb"))
    first = np.sqrt(sum(np.sum(a**2) for a in first_step_gradient(p, X, steps, dc1)))
    return float(first / whole) if whole > 0 else float("nan")


def separation(c_T, Y):
    """max over cells of |mean c(T) class 1 - mean c(T) class 2| / pooled std: how well one cell holds the class."""
    one, two = c_T[Y[:, 0] > 0.5], c_T[Y[:, 0] <= 0.5]
    spread = np.sqrt(0.5 * (one.var(axis=0) + two.var(axis=0))) + 1e-12
    return float(np.max(np.abs(one.mean(axis=0) - two.mean(axis=0)) / spread))


def latched(c_T, Y):
    """Share of cells that hold the class saturated: |c(T)| > SATURATED and the sign of c(T) follows the class
    (either way round) in 99 % of the sequences. Saturated, but on the side that answers the question."""
    agree = np.mean(np.sign(c_T) == (2.0 * Y - 1.0), axis=0)
    holds = (np.maximum(agree, 1.0 - agree) >= 0.99) & (np.mean(np.abs(c_T), axis=0) > SATURATED)
    return float(np.mean(holds))


def probe(p, X, Y):
    """The quantities of FIELDS on one batch, at the current weights."""
    trace = []
    with np.errstate(all="ignore"):
        loss, grads = batched.bptt_gradient(p, X, Y, trace=trace)
        y_hat, h_T, steps = batched.run(p, X)
    dc1 = trace[-1]
    c_T = steps[-1][5]
    i_all = np.array([st[3] for st in steps])
    return {
        "accuracy": float(np.mean((y_hat > 0.5) == (Y > 0.5))),
        "loss": loss / len(X),
        "dc1": float(np.mean(np.linalg.norm(dc1, axis=1))),
        "first_share": first_share(p, X, grads, steps, dc1),
        "abs_c": float(np.mean(np.abs(c_T))),
        "saturated": float(np.mean(np.abs(c_T) > SATURATED)),
        "latched": latched(c_T, Y),
        "separation": separation(c_T, Y),
        "i_first": float(i_all[0].mean()),
        "i_rest": float(i_all[1:].mean()) if len(steps) > 1 else float("nan"),
        "o_last": float(steps[-1][4].mean()),
        "abs_h": float(np.mean(np.abs(h_T))),
    }


def probe_set(T):
    return sample_batch(np.random.default_rng(PROBE_SEED + T), PROBE_SIZE, T)


def traced_train(cfg, log=None):
    """Train as training.train does, probing at every check: (Result, [(sequences, T, probe)])."""
    rows, sets = [], {}

    def on_check(p, seen, T, _):
        sets.setdefault(T, probe_set(T))
        rows.append((seen, T, probe(p, *sets[T])))

    rng = np.random.default_rng(cfg.seed)
    on_check(initial_params(cfg, rng), 0, cfg.stages[0], None)  # the same initial weights train() draws
    return train(cfg, log=log, on_check=on_check), rows


def verdict(result, rows):
    """Where a run ended: learned, or (not learned) saturated, silent, or neither."""
    if result.learned_at is not None:
        return "learned"
    last = rows[-1][2]
    if last["saturated"] - last["latched"] > 0.5:
        return "saturated"
    if last["abs_h"] < SILENT:
        return "silent"
    return "active, not separating"


def class_means(p, X, Y):
    """(common part, class part) of c(T) per cell: (m1 + m2) / 2 and (m1 - m2) / 2 of the class means."""
    with np.errstate(all="ignore"):
        c_T = batched.run(p, X)[2][-1][5]
    one, two = c_T[Y[:, 0] > 0.5].mean(axis=0), c_T[Y[:, 0] <= 0.5].mean(axis=0)
    return (one + two) / 2, (one - two) / 2


def early_steps(T, seed, lr, batch, steps):
    """From the initial weights: step 1's share of the first minibatch's z, i gradient, then, after `steps`
    steps of gradient descent, how far c(T) moved for both classes alike (drift) and apart (the class), mean
    over cells. A bias or slow-h weight acts at all T steps and moves c(T) by T times its change, and its
    gradient sums T terms: the drift grows like T², the class part, written once at step 1, does not."""
    rng = np.random.default_rng(seed)
    cfg = Config(lr=lr, batch=batch)
    p = initial_params(cfg, rng)
    X, Y = probe_set(T)
    common0, class0 = class_means(p, X, Y)
    share = None
    for _ in range(steps):
        Xb, Yb = sample_batch(rng, batch, T)
        with np.errstate(all="ignore"):
            _, grads = batched.bptt_gradient(p, Xb, Yb)
        share = share if share is not None else probe(p, Xb, Yb)["first_share"]
        descend(p, grads, batch, lr)
    common1, class1 = class_means(p, X, Y)
    return share, float(np.mean(np.abs(common1 - common0))), float(np.mean(np.abs(class1 - class0)))


def early_steps_table(Ts, seeds, lr, batch, steps=(1, 8)):
    """Per T, medians over the seeds: step 1's share, and drift, class part and their ratio after each count
    of steps."""
    rows = []
    for T in Ts:
        row = [T]
        for k, n in enumerate(steps):
            runs = np.array([early_steps(T, seed, lr, batch, n) for seed in seeds])
            if k == 0:
                row.append(f"{np.median(runs[:, 0]):.3f}")
            row += [
                f"{np.median(runs[:, 1]):.2g}",
                f"{np.median(runs[:, 2]):.2g}",
                f"{np.median(runs[:, 1] / runs[:, 2]):.3g}",
            ]
        rows.append(row)
    header = ["T", "step 1's share of the z, i gradient"]
    for n in steps:
        header += [f"after {n} step{'s' * (n > 1)}: drift of c(T)", "class part", "drift / class"]
    return header, rows


# ------------------------------------------------------------------------------------------------ output


def summary_rows(runs):
    """One row per run: its outcome and the probe at its first check after the start, and at its end."""
    out = []
    for result, rows in runs:
        early = rows[min(1, len(rows) - 1)][2]
        last = rows[-1][2]
        out.append(
            [
                result.config.seed,
                verdict(result, rows),
                result.learned_at if result.learned_at is not None else f"> {result.sequences}",
                f"{rows[0][2]['dc1']:.1e}",
                f"{early['dc1']:.1e}",
                f"{last['dc1']:.1e}",
                f"{last['abs_c']:.2f}",
                f"{last['saturated']:.2f}",
                f"{last['latched']:.2f}",
                f"{last['separation']:.2f}" if last["separation"] < 100 else "> 100",
                f"{last['i_first']:.2f}",
                f"{last['i_rest']:.2f}",
                f"{last['o_last']:.2f}",
                f"{last['abs_h']:.3f}",
            ]
        )
    return out


SUMMARY_HEADER = [
    "seed",
    "outcome",
    "sequences to 99 %",
    "‖dL/dc(1)‖ at start",
    "after first check",
    "at end",
    "mean |c(T)|",
    "share |c(T)| > 2",
    "cells latched",
    "best cell d'",
    "i(1)",
    "i(t>1)",
    "o(T)",
    "|h(T)|",
]


def write_rows(path, runs):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["seed", "outcome", "sequences", "T", *FIELDS])
        for result, rows in runs:
            outcome = verdict(result, rows)
            writer.writerows(
                [result.config.seed, outcome, n, T, *(f"{pr[k]:.5g}" for k in FIELDS)] for n, T, pr in rows
            )


def plot(path, runs, title):
    """Six panels against training sequences, one line per run, coloured by outcome."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ["accuracy", "dc1", "abs_c", "saturated", "latched", "o_last"]
    colours = {"learned": "C2", "saturated": "C3", "silent": "C0", "active, not separating": "C1"}
    fig, axes = plt.subplots(2, 3, figsize=(16, 8))
    for ax, field in zip(axes.flat, panels):
        drawn = set()
        for result, rows in runs:
            outcome = verdict(result, rows)
            n = [r[0] for r in rows]
            ax.plot(
                n,
                [r[2][field] for r in rows],
                color=colours[outcome],
                alpha=0.8,
                linewidth=1,
                label=None if outcome in drawn else outcome,
            )
            drawn.add(outcome)
        if field in ("dc1", "abs_c"):
            ax.set_yscale("log")
        ax.set(xlabel="training sequences", title=LABELS[field])
        ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(out, stem, cfg, runs, early):
    outcomes = [verdict(r, rows) for r, rows in runs]
    counts = ", ".join(f"{outcomes.count(o)} {o}" for o in dict.fromkeys(outcomes))
    text = (
        f"# Diagnosis: {cfg.describe()}, {cfg.describe_recipe()}\n\n"
        f"Budget {cfg.max_sequences} training sequences; probed every {cfg.eval_every} sequences on "
        f"{PROBE_SIZE} fixed sequences of the current length. Outcomes: {counts}.\n\n"
        f"Outcome of a run that did not learn: saturated = the share of final cell states with |c(T)| > "
        f"{SATURATED:g}, less the share of latched cells, is above one half; silent = mean |h(T)| < {SILENT:g}. "
        f"Latched: a cell whose c(T) is beyond ±{SATURATED:g} with the sign of the class in 99 % of the "
        f"sequences. ‖dL/dc(1)‖: the error that reaches the first step's cells, mean over the probe sequences; "
        f"best cell d': the largest |difference of class means| / pooled std of c(T) over the cells.\n\n"
        + markdown_table(SUMMARY_HEADER, summary_rows(runs))
        + "\n\n"
        f"The first steps from the initial weights, at lr {cfg.lr:g} and batch {cfg.batch}, medians over the "
        f"seeds: step 1's share of the first minibatch's z, i gradient (only step 1 carries the class); how far "
        f"c(T) of the {PROBE_SIZE} probe sequences moved for both classes alike (drift) and apart (class part), "
        f"mean |change| over cells.\n\n" + markdown_table(*early) + "\n"
    )
    (out / f"{stem}.md").write_text(text)
    print(text)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m reference.diagnostics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--T", type=int, default=100)
    parser.add_argument("--curriculum", type=int, nargs="*", default=[], help="lengths before T (none: direct)")
    parser.add_argument(
        "--early-Ts",
        type=int,
        nargs="+",
        default=[2, 5, 10, 20, 50, 100],
        help="lengths of the table of the first steps from the initial weights",
    )
    add_training_options(
        parser, lr=10.0, batch=16, max_sequences=20_000, eval_every=256, restart_after=0, on_entry=False
    )
    args = parser.parse_args(argv)
    runs = []
    for seed in args.seeds:
        cfg = config_from_args(args, T=args.T, method=args.methods[0], seed=seed, curriculum=tuple(args.curriculum))
        runs.append(traced_train(cfg))
        print(f"seed {seed}: {verdict(*runs[-1])}, {runs[-1][0].learned_at}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = runs[0][0].config
    stem = args.name or f"diagnose_{cfg.recipe}_T{args.T}"
    write_rows(out / f"{stem}.csv", runs)
    plot(out / f"{stem}.png", runs, f"{cfg.describe()}, {cfg.describe_recipe()}")
    write_report(out, stem, cfg, runs, early_steps_table(args.early_Ts, args.seeds, args.lr, args.batch))
    return runs


if __name__ == "__main__":
    main()
