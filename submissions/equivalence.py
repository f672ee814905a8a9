"""Whether a mutant of submissions/mutants.py is equivalent to the solution.

Equivalence is decided numerically and in-process (no kernel): the setup, given and code cells are exec'd into a
fresh namespace, the mutated cell in place of the original, and its classes and generate_data are driven through
the interface on drawn problems (sizes 1..6, T up to 60, weight scales up to 5, several seeds) beside the
unmutated ones. Equal to 1e-12 (relative, same shapes, NaN/Inf never equal) everywhere: equivalent. A mutant that
raises or times out is not. The behaviours that differed are recorded, to explain what the grader missed.

Three kinds of equivalence are looser, as the grader's own rules are. Initial weights are random: a mutant that draws
them from the same distribution (uniform(0.01, -0.01), a negated draw) is equivalent in distribution, decided on the
values pooled over all problems (same shapes, zero gradient buffers, the same range, a two-sample Kolmogorov-Smirnov
test). Data are random too: a mutant whose generate_data differs only in its samples is equivalent in distribution
when long streams of both agree in shapes, in the (x(1), y) pairs that occur and their frequencies, in how often the
label changes from one sequence to the next, and in the noise, its products within a sequence and across
consecutive sequences (chi-square and Kolmogorov-Smirnov tests). A mutant that only computes in float32 is
equivalent to float32 precision (FLOAT32_TOLERANCE), since the style rules of submissions/styles.toml give float32
code full marks.
"""

import copy
import inspect
import itertools
import signal
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
from mutants import notebook
from scipy import stats

TOLERANCE = 1e-12
FLOAT32_TOLERANCE = 1e-4  # relative, for the float32 mutants: float32's eps 1.2e-7 grown over T = 60 steps
SAME_DISTRIBUTION = 1e-3  # the Kolmogorov-Smirnov p-value below which pooled initial weights differ
ETA = 0.1
ACTIVATIONS = {
    "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
    "sigmoid": (lambda s: 1.0 / (1.0 + np.exp(-s)), lambda s: np.exp(-s) / (1.0 + np.exp(-s)) ** 2),
    "softsign": (lambda s: s / (1.0 + np.abs(s)), lambda s: 1.0 / (1.0 + np.abs(s)) ** 2),
}


def drawn_problems():
    """Hand-picked corners (D = I = T = 1, T = 60 with weights up to 5, tiny weights), then drawn ones."""
    fixed = [
        (1, 1, 1, 1.0),
        (2, 3, 3, 1.0),
        (3, 2, 12, 0.5),
        (4, 4, 60, 3.0),
        (6, 5, 40, 5.0),
        (1, 6, 60, 5.0),
        (6, 1, 7, 0.1),
    ]
    rng = np.random.default_rng(20240610)
    drawn = [
        (
            int(rng.integers(1, 7)),
            int(rng.integers(1, 7)),
            int(rng.integers(1, 61)),
            float(rng.choice([0.1, 0.5, 1.0, 2.0, 3.0, 5.0])),
        )
        for _ in range(9)
    ]
    return [
        dict(D=D, I=I, T=T, scale=scale, seed=k, activation=list(ACTIVATIONS)[k % 3])
        for k, (D, I, T, scale) in enumerate(fixed + drawn)
    ]


PROBLEMS = drawn_problems()
DATA_PROBLEMS = [dict(seed=s, T=T) for s, T in ((0, 1), (1, 5), (0xDEADBEEF, 20), (7, 100), (12345, 60))]
GATE_PARAMS = ("W", "R", "b")
LSTM_PARAMS = tuple(f"{g}.{k}" for g in "zio" for k in GATE_PARAMS) + ("W_y", "b_y")
RTRL_PARAMS = tuple(f"{k}_{g}" for g in "zio" for k in GATE_PARAMS) + ("W_y", "b_y")


def grad_name(name):
    owner, _, attr = name.rpartition(".")
    return f"{owner}.d{attr}" if owner else f"d{name}"


def read(obj, names):
    return {
        n: copy.deepcopy(getattr(getattr(obj, n.split(".")[0]) if "." in n else obj, n.split(".")[-1])) for n in names
    }


def write(obj, values):
    for n, value in values.items():
        setattr(getattr(obj, n.split(".")[0]) if "." in n else obj, n.split(".")[-1], value.copy())


def draw_params(rng, names, p):
    shapes = {"W": (p["I"], p["D"]), "R": (p["I"], p["I"]), "b": (p["I"],), "W_y": (1, p["I"]), "b_y": (1,)}
    kind = lambda n: n if n in shapes else n.split(".")[-1].split("_")[0]  # noqa: E731
    return {n: rng.uniform(-p["scale"], p["scale"], size=shapes[kind(n)]) for n in names}


def gate_scenario(ns, p, out):
    rng = np.random.default_rng(p["seed"])
    np.random.seed(p["seed"])
    gate = ns["Gate"](p["D"], p["I"], *ACTIVATIONS[p["activation"]])
    out("gate.init", read(gate, GATE_PARAMS + tuple(map(grad_name, GATE_PARAMS))))
    write(gate, draw_params(rng, GATE_PARAMS, p))
    xs, hs, upstream = (rng.normal(size=(p["T"], n)) for n in (p["D"], p["I"], p["I"]))
    gate.zero_grad()
    for _ in range(2):  # the second round accumulates on the first
        out("gate.forward", [gate.forward(x, h) for x, h in zip(xs, hs)])
        out("gate.backward", [gate.backward(u) for u in upstream[::-1]])
        out("gate.grads", read(gate, map(grad_name, GATE_PARAMS)))
    gate.update(ETA)
    out("gate.update", read(gate, GATE_PARAMS))
    gate.zero_grad()
    out("gate.zero_grad", read(gate, map(grad_name, GATE_PARAMS)))


def sequences(rng, p, count=3):
    return rng.normal(size=(count, p["T"], p["D"])), rng.integers(0, 2, size=(count, 1)).astype(float)


def new_network(ns, class_name, names, p, out, prefix):
    """Construct the network (its initial weights and buffers recorded), then give it drawn weights: (model, xs, ys)."""
    rng = np.random.default_rng(p["seed"])
    np.random.seed(p["seed"])
    model = ns[class_name](p["D"], p["I"])
    out(f"{prefix}.init", read(model, names + tuple(map(grad_name, names))))
    write(model, draw_params(rng, names, p))
    xs, ys = sequences(rng, p)
    model.zero_grad()
    return model, xs, ys


def update_and_zero(model, names, out, prefix):
    model.update(ETA)
    out(f"{prefix}.update", read(model, names))
    model.zero_grad()
    out(f"{prefix}.zero_grad", read(model, map(grad_name, names)))


def lstm_scenario(ns, p, out):
    model, xs, ys = new_network(ns, "LSTM", LSTM_PARAMS, p, out, "lstm")
    for x, y in zip(xs, ys):
        out("lstm.loss", model.forward(x, y))
        model.backward()
    out("lstm.grads", read(model, map(grad_name, LSTM_PARAMS)))
    out("lstm.state_reset", model.forward(xs[0], ys[0]))
    update_and_zero(model, LSTM_PARAMS, out, "lstm")


def rtrl_scenario(ns, p, out):
    model, xs, ys = new_network(ns, "LSTM_RTRL", RTRL_PARAMS, p, out, "rtrl")
    for x, y in zip(xs, ys):
        model.reset()
        out("rtrl.outputs", [model.forward(x_t, y if t == len(x) - 1 else None) for t, x_t in enumerate(x)])
    out("rtrl.grads", read(model, map(grad_name, RTRL_PARAMS)))
    model.zero_grad()
    model.reset()
    out("rtrl.outputs_every_step_targets", [model.forward(x_t, ys[0]) for x_t in xs[0]])
    out("rtrl.grads_every_step_targets", read(model, map(grad_name, RTRL_PARAMS)))
    update_and_zero(model, RTRL_PARAMS, out, "rtrl")


def data_scenario(ns, p, out):
    np.random.seed(p["seed"])
    source = ns["generate_data"](p["T"])
    out("data.is_generator", inspect.isgenerator(source))
    out("data.samples", [next(source) for _ in range(40)])


def init_scenario(ns, p, out):
    """Each class constructed at the grader's sizes: enough initial weights to tell distributions apart."""
    for prefix, class_name, names, args in (
        ("gate", "Gate", GATE_PARAMS, ACTIVATIONS["tanh"]),
        ("lstm", "LSTM", LSTM_PARAMS, ()),
        ("rtrl", "LSTM_RTRL", RTRL_PARAMS, ()),
    ):
        np.random.seed(p["seed"])
        out(f"{prefix}.init", read(ns[class_name](p["D"], p["I"], *args), names + tuple(map(grad_name, names))))


SCENARIOS = {
    "init": (init_scenario, [dict(D=16, I=32, seed=s) for s in range(3)]),
    "gate": (gate_scenario, PROBLEMS),
    "lstm": (lstm_scenario, PROBLEMS),
    "rtrl": (rtrl_scenario, PROBLEMS),
    "data": (data_scenario, DATA_PROBLEMS),
}


def describe(p):
    return " ".join(f"{k}={v}" for k, v in p.items() if k != "activation" or v != "tanh")


def same(a, b, tolerance=TOLERANCE):
    """Equal to `tolerance` relative to the larger magnitude, same shapes, finite; recursively through containers."""
    if isinstance(a, (list, tuple, dict)) or isinstance(b, (list, tuple, dict)):
        if type(a) is not type(b) and not {type(a), type(b)} <= {list, tuple} or len(a) != len(b):
            return False
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k], tolerance) for k in a)
        return all(same(x, y, tolerance) for x, y in zip(a, b))
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    return bool(np.abs(a - b).max(initial=0.0) <= tolerance * scale)


GRADIENT_BUFFERS = {grad_name(n) for n in GATE_PARAMS + LSTM_PARAMS + RTRL_PARAMS}


def same_layout(a, b):
    """Initial objects alike but for the random values: same names and shapes, the gradient buffers equal."""
    return (
        isinstance(a, dict)
        and isinstance(b, dict)
        and a.keys() == b.keys()
        and all(np.shape(a[n]) == np.shape(b[n]) for n in a)
        and all(same(a[n], b[n]) for n in a if n in GRADIENT_BUFFERS)
    )


def same_distribution(a, b):
    """Pooled initial values from the same distribution: finite, the same range (to 5 %, more for small samples),
    and no evidence of a difference in a two-sample Kolmogorov-Smirnov test."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    slack = (a.max() - a.min()) * max(0.05, 3 / len(a))  # a small sample's extremes fall short of the support
    in_range = a.min() - slack <= b.min() and b.max() <= a.max() + slack
    return bool(in_range and stats.ks_2samp(a, b).pvalue > SAME_DISTRIBUTION)


DATA_STREAMS = ((1, 3000), (3, 3000), (10, 10000))  # (T, sequences) drawn for the data's distribution


def data_streams(ns, seed=0):
    """Long streams of generate_data(T) for each T of DATA_STREAMS, every sample copied as it comes. The reference's
    are drawn from another seed: a mutant that maps the same draws to other values (the label of `> 0.5`) would give a
    paired sample, which the tests' independent samples must not be."""
    streams = []
    for T, n in DATA_STREAMS:
        np.random.seed(seed + T)
        pairs = [(np.array(x, dtype=float), np.array(y, dtype=float)) for x, y in arrays(ns["generate_data"](T), n)]
        streams.append((np.array([x for x, _ in pairs]), np.array([y for _, y in pairs])))
    return streams


def arrays(source, n):
    """The first n samples of a generator, which must be arrays as the solution's are (a list is not equivalent)."""
    for x, y in itertools.islice(source, n):
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            raise TypeError(f"a sample of {type(x).__name__} and {type(y).__name__}, not arrays")
        yield x, y


def same_data_distribution(a, b):
    """Two streams (x (n, T, 1), y (n, 1)) of the same distribution, tested as the docstring above says."""
    (xa, ya), (xb, yb) = a, b
    if xa.shape != xb.shape or ya.shape != yb.shape or not (np.isfinite(xb).all() and np.isfinite(yb).all()):
        return False
    kinds_a, counts_a = np.unique(np.c_[xa[:, 0, 0], ya[:, 0]], axis=0, return_counts=True)
    kinds_b, counts_b = np.unique(np.c_[xb[:, 0, 0], yb[:, 0]], axis=0, return_counts=True)
    if not np.array_equal(kinds_a, kinds_b):
        return False
    n = len(ya) - 1
    changes_a, changes_b = np.sum(ya[1:, 0] != ya[:-1, 0]), np.sum(yb[1:, 0] != yb[:-1, 0])
    p_values = [stats.chi2_contingency([[changes_a, n - changes_a], [changes_b, n - changes_b]]).pvalue]
    if len(kinds_a) > 1:
        p_values.append(stats.chi2_contingency([counts_a, counts_b]).pvalue)
    noise = [
        lambda x: x[:, 1:],  # the noise itself
        lambda x: x[:, 1:-1] * x[:, 2:],  # consecutive steps of a sequence
        lambda x: x[:-1, 1:] * x[1:, 1:],  # the same step of consecutive sequences
    ]
    samples = [(f(xa).ravel(), f(xb).ravel()) for f in noise]
    p_values += [stats.ks_2samp(ours, theirs).pvalue for ours, theirs in samples if ours.size]
    return min(p_values) > SAME_DISTRIBUTION


@cache
def reference_data():
    return data_streams(namespace()[0], seed=1000)


def data_in_distribution(ns):
    try:
        with np.errstate(all="ignore"):
            streams = data_streams(ns)
    except Exception:
        return False
    return all(same_data_distribution(a, b) for a, b in zip(reference_data(), streams))


def namespace(mutant=None):
    """The notebook's code cells (setup, given, code; no experiments) exec'd into a fresh namespace, and what raised."""
    ns, raised = {"__name__": "__main__"}, []
    for cell in notebook(mutant).cells:
        if cell.cell_type == "code":
            try:
                exec(compile(cell.source, cell.id, "exec"), ns)
            except Exception as error:
                raised.append(f"cell {cell.id} raised {type(error).__name__}: {str(error)[:100]}")
    return ns, raised


class Timeout(BaseException):
    """Not an Exception, so that no scenario's error handling swallows it."""


def behaviours(ns, timeout=None):
    """{(scenario, problem index): [(behaviour, value), ...]}, the recording stopping where the code raised."""
    results = {}
    for name, (scenario, problems) in SCENARIOS.items():
        for k, p in enumerate(problems):
            entries = results[name, k] = []
            try:
                with np.errstate(all="ignore"):
                    scenario(ns, p, lambda what, value, entries=entries: entries.append((what, copy.deepcopy(value))))
            except Exception as error:
                entries.append((f"{name}.raised", f"{type(error).__name__}: {str(error)[:100]}"))
    return results


@cache
def reference():
    ns, raised = namespace()
    assert not raised, raised
    results = behaviours(ns)
    assert not any(what.endswith(".raised") or not same(v, v) for entries in results.values() for what, v in entries)
    return results


@dataclass(frozen=True)
class Verdict:
    equivalent: bool
    differs: tuple = ()  # one line per behaviour that differed: on how many problems, the first, or what raised
    how: str = ""  # equivalent "numerically", "in distribution" (initial weights) or "to float32 precision"


def compare(want, got, tolerance=TOLERANCE, init_in_distribution=True):
    differ, seen, pooled = {}, {}, {}
    for key, entries in want.items():
        problem = describe(SCENARIOS[key[0]][1][key[1]])
        for k, (what, value) in enumerate(entries):
            seen[what] = seen.get(what, 0) + 1
            theirs = got[key][k][1] if k < len(got[key]) and got[key][k][0] == what else None
            if init_in_distribution and what.endswith(".init") and same_layout(value, theirs):
                for n in set(value) - GRADIENT_BUFFERS:
                    ours, others = pooled.setdefault((what, n), ([], []))
                    ours.append(np.ravel(value[n]))
                    others.append(np.ravel(theirs[n]))
                continue
            if theirs is not None and same(value, theirs, tolerance):
                continue
            if k >= len(got[key]) or got[key][k][0].endswith(".raised"):
                message = got[key][-1][1] if got[key] and got[key][-1][0].endswith(".raised") else "nothing"
                differ.setdefault(what, []).append(f"{problem}: raised {message}")
                break
            differ.setdefault(what, []).append(problem)
    return tuple(
        f"{what} differs in {len(problems)}/{seen[what]} comparisons, first on {problems[0]}"
        for what, problems in differ.items()
    ) + tuple(
        f"{what}: {name}'s initial values are not drawn from the solution's distribution"
        for (what, name), (ours, theirs) in pooled.items()
        if not same_distribution(np.concatenate(ours), np.concatenate(theirs))
    )


def timer(seconds):
    def expire(*_):
        raise Timeout()

    if threading.current_thread() is not threading.main_thread():
        return lambda on: None
    signal.signal(signal.SIGALRM, expire)
    return lambda on: signal.setitimer(signal.ITIMER_REAL, seconds if on else 0)


def equivalence(mutant=None, timeout=60.0):
    """Whether the notebook with the mutant (None: unmutated) behaves as the solution everywhere, and if not, how."""
    want = reference()
    arm = timer(timeout)
    try:
        arm(True)
        ns, raised = namespace(mutant)
        got = behaviours(ns)
    except Timeout:
        return Verdict(False, (f"timed out after {timeout:g} s",))
    finally:
        arm(False)
    differs = tuple(raised) + compare(want, got)
    if not differs:
        exact = not compare(want, got, init_in_distribution=False)
        return Verdict(True, (), "numerically" if exact else "in distribution")
    if not raised and all(d.startswith("data.samples differs") for d in differs):
        try:
            arm(True)
            if data_in_distribution(ns):
                return Verdict(True, differs, "data in distribution")
        except Timeout:
            return Verdict(False, differs + (f"timed out after {timeout:g} s drawing data",))
        finally:
            arm(False)
    if mutant is not None and mutant.family == "dtype" and "float32" in mutant.id and not raised:
        if not compare(want, got, FLOAT32_TOLERANCE):
            return Verdict(True, differs, "to float32 precision")
    return Verdict(False, differs)
