"""Training runs of exercises 7 and 11 on the batched reference: straight at one T, or through a curriculum over T.

A run is a list of stages (sequence lengths). Direct training is the one-stage list (T,). A curriculum trains on
short sequences first and moves to the next length once the network classifies `advance_accuracy` of
`advance_size` check sequences at the current length; the same weights go on to the next stage. With
`check_on_entry` a new length is checked before any training on it, so a solution that already holds there costs
nothing. With `restart_after`, a run that has not passed a length within that many sequences starts again from
new initial weights: that is how a run stuck with saturated cells gets out. Every run ends the same way, on the
final length: it has learned when it classifies TARGET_ACCURACY of the TEST_SIZE test sequences, never seen in
training. Training sequences are counted in full: the short ones, and those before a restart.
"""

import dataclasses
import time

import numpy as np

from . import batched
from .data import sample_batch

TARGET_ACCURACY = 0.99
TEST_SIZE = 1000
TEST_SEED = 20_251_129  # the test set's own seed, never a training seed
CHECK_SEED = 7_340_033  # the advance rule's check sequences: neither a training nor a test seed
CONFIRM_SEED = 4_194_304  # a second test set, looked at once after a run stops on the first one
CURRICULUM = (2, 5, 10, 20, 30, 50, 70)  # the lengths before T = 100 in the recipe of exercises 7 and 11
RESTART_AFTER = 8192  # the recipe's limit of training sequences on one length before new initial weights


def test_set(T, seed=TEST_SEED, size=TEST_SIZE):
    return sample_batch(np.random.default_rng(seed), size, T)


@dataclasses.dataclass
class Config:
    T: int = 100  # the final length, the one that is learned or not
    method: str = "bptt"  # "bptt" (full gradient) or "rtrl" (LSTM learning method)
    hidden: int = 32
    lr: float = 1.0  # applied to the MEAN minibatch gradient
    batch: int = 16
    schedule: str = "constant"  # "constant" or "inverse": lr / (1 + sequences / lr_decay)
    lr_decay: float = 100_000.0  # sequences over which the "inverse" schedule halves the rate
    max_sequences: int = 100_000  # budget of training sequences, all stages together
    eval_every: int = 1_000  # sequences between checks (rounded up to whole batches)
    curriculum: tuple = ()  # lengths trained before T, in order; () is direct training
    advance_accuracy: float = TARGET_ACCURACY  # the advance rule: this accuracy on ...
    advance_size: int = 500  # ... this many check sequences of the current length
    check_on_entry: bool = False  # check a new length before training on it: a solution that holds for any
    #                               length then passes it without a single sequence of training
    restart_after: int | None = None  # start again from new initial weights when a length is not passed within
    #                                   this many sequences; every sequence before the restart still counts
    gate_bias: tuple | None = None  # (b_i, b_o) initial gate biases: a deviation from the assignment's ±0.01
    clip: float | None = None  # max norm of the mean gradient: a deviation from plain gradient descent
    seed: int = 0
    test_seed: int = TEST_SEED

    @property
    def stages(self):
        return tuple(t for t in self.curriculum if t < self.T) + (self.T,)

    @property
    def recipe(self):
        return "curriculum" if len(self.stages) > 1 else "direct"

    def deviations(self):
        out = []
        if self.gate_bias is not None:
            out.append(f"gate-bias init b_i={self.gate_bias[0]:g}, b_o={self.gate_bias[1]:g}")
        if self.clip is not None:
            out.append(f"gradient-norm clipping at {self.clip:g}")
        return out

    def describe_recipe(self):
        restart = f", new weights after {self.restart_after} sequences on one length" if self.restart_after else ""
        if self.recipe == "direct":
            return f"direct at T={self.T}{restart}"
        entry = " (also on entering a length)" if self.check_on_entry else ""
        return (
            f"curriculum T={'→'.join(map(str, self.stages))}, next T once {self.advance_accuracy:g} of "
            f"{self.advance_size} check sequences are right{entry}{restart}"
        )

    def describe(self, with_method=True):
        sched = "constant" if self.schedule == "constant" else f"lr/(1+n/{self.lr_decay:g})"
        text = f"I={self.hidden}, lr={self.lr:g} ({sched}), batch={self.batch}"
        text = f"{self.method.upper()}, {text}" if with_method else text
        return text + "".join(f"; DEVIATION: {d}" for d in self.deviations())


@dataclasses.dataclass
class Result:
    config: Config
    learned_at: int | None  # training sequences seen, all stages, when the test accuracy first reached the target
    final_accuracy: float  # on the test set at the last length reached
    sequences: int  # training sequences seen in all
    sequence_steps: int  # the same counted in time steps: short sequences cost less
    gradient_seconds: float  # time spent in the gradient function alone
    seconds: float  # wall-clock time of the whole run, checks included
    curve: list  # (sequences, T, accuracy at that T, mean training loss since the previous check)
    passed: list  # (T, training sequences seen when the stage was passed), in order, of the last start
    final_abs_cell: float  # mean |c(T)| over the test set at the end: ≫ 1 means saturated cells (state drift)
    confirm_accuracy: float | None = None  # on a second, independent test set, once the run has stopped
    restarts: list = dataclasses.field(default_factory=list)  # (sequences, T) where new weights were drawn

    @property
    def reached_T(self):
        """The longest length passed, 0 if none."""
        return max((T for T, _ in self.passed), default=0)


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


def accuracy(p, X, Y):
    with np.errstate(over="ignore"):
        return batched.accuracy(p, X, Y)


class Sets:
    """The check sets of the advance rule and the test set of the final length, drawn once per length."""

    def __init__(self, cfg):
        self.cfg, self.cache = cfg, {}

    def check(self, T):
        """Check sequences for the advance rule at T; the test set itself at the final length."""
        if T == self.cfg.T:
            return self.test()
        key = ("check", T)
        if key not in self.cache:
            self.cache[key] = test_set(T, CHECK_SEED + T, self.cfg.advance_size)
        return self.cache[key]

    def test(self):
        if "test" not in self.cache:
            self.cache["test"] = test_set(self.cfg.T, self.cfg.test_seed)
        return self.cache["test"]


class Run:
    """One training run's state: weights, stage, counters, and what was seen at the checks."""

    def __init__(self, cfg):
        self.cfg, self.sets = cfg, Sets(cfg)
        self.rng = np.random.default_rng(cfg.seed)
        self.p = initial_params(cfg, self.rng)
        self.gradient = {"bptt": batched.bptt_gradient, "rtrl": batched.rtrl_gradient}[cfg.method]
        self.stage, self.stage_start, self.seen, self.steps, self.grad_seconds = 0, 0, 0, 0, 0.0
        self.loss_since, self.seen_since, self.learned_at = 0.0, 0, None
        self.passed, self.restarts = [], []
        self.curve = [(0, self.T, accuracy(self.p, *self.sets.check(self.T)), float("nan"))]

    @property
    def T(self):
        return self.cfg.stages[self.stage]

    def step(self):
        """One minibatch of the current length, one step of gradient descent on its mean gradient."""
        cfg = self.cfg
        X, Y = sample_batch(self.rng, cfg.batch, self.T)
        start = time.perf_counter()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a saturated ŷ makes log(0)
            loss, grads = self.gradient(self.p, X, Y)
        self.grad_seconds += time.perf_counter() - start
        descend(self.p, grads, cfg.batch, learning_rate(cfg, self.seen), cfg.clip)
        self.seen, self.steps = self.seen + cfg.batch, self.steps + cfg.batch * self.T
        self.loss_since, self.seen_since = self.loss_since + loss, self.seen_since + cfg.batch

    def check(self):
        """Measure the accuracy at the current length, then advance, stop, restart or go on: returns "advanced",
        "over" (learned, or diverged without restarts) or "on"."""
        cfg, T = self.cfg, self.T
        acc = accuracy(self.p, *self.sets.check(T))
        self.curve.append((self.seen, T, acc, self.loss_since / self.seen_since if self.seen_since else float("nan")))
        self.loss_since, self.seen_since = 0.0, 0
        if acc >= (TARGET_ACCURACY if T == cfg.T else cfg.advance_accuracy):
            self.passed.append((T, self.seen))
            if T == cfg.T:
                self.learned_at = self.seen
                return "over"
            self.stage, self.stage_start = self.stage + 1, self.seen
            return "advanced"
        diverged = not all(np.all(np.isfinite(v)) for v in self.p.values())
        if cfg.restart_after and (diverged or self.seen - self.stage_start >= cfg.restart_after):
            self.restart()
        return "over" if diverged and not cfg.restart_after else "on"  # diverged: nothing more to learn

    def restart(self):
        """New initial weights from the run's own random stream, back to the first length; the count goes on."""
        self.restarts.append((self.seen, self.T))
        self.p, self.stage, self.stage_start, self.passed = initial_params(self.cfg, self.rng), 0, self.seen, []


def train(cfg, log=None, on_check=None):
    """Train through cfg.stages until the test accuracy at cfg.T reaches TARGET_ACCURACY or the budget is spent.

    on_check(p, sequences, T, accuracy), if given, is called at every check: the diagnostics hook in here.
    """
    start_wall = time.perf_counter()
    run = Run(cfg)
    eval_every = max(1, -(-cfg.eval_every // cfg.batch)) * cfg.batch
    while run.seen < cfg.max_sequences:
        run.step()
        if run.seen % eval_every and run.seen < cfg.max_sequences:
            continue
        state = "advanced"
        while state == "advanced":  # with check_on_entry, a new length is checked before any training on it
            T, p = run.T, run.p  # before the check may advance or restart
            state = run.check()
            if on_check:
                on_check(p, run.seen, T, run.curve[-1][2])
            if log:
                log(
                    f"  seed {cfg.seed} {cfg.method} T={T}: {run.seen:>8} sequences, accuracy "
                    f"{run.curve[-1][2]:.3f}, train loss {run.curve[-1][3]:.4f}"
                )
            state = "on" if state == "advanced" and not cfg.check_on_entry else state
        if state == "over":
            break
    return finish(run, time.perf_counter() - start_wall)


def finish(run, seconds):
    """The Result: test accuracy at the last length reached, the cells' |c(T)|, and the confirmation set."""
    cfg, p, T_last = run.cfg, run.p, run.curve[-1][1]
    X, Y = run.sets.test() if T_last == cfg.T else test_set(T_last, cfg.test_seed)
    with np.errstate(over="ignore"):
        final_abs_cell = float(np.mean(np.abs(batched.run(p, X)[2][-1][5])))
    confirm = accuracy(p, *test_set(cfg.T, CONFIRM_SEED)) if run.learned_at is not None else None
    return Result(
        cfg,
        run.learned_at,
        accuracy(p, X, Y),
        run.seen,
        run.steps,
        run.grad_seconds,
        seconds,
        run.curve,
        run.passed,
        final_abs_cell,
        confirm,
        run.restarts,
    )
