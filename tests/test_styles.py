"""The style variants of submissions/styles.toml are correct code: each computes the reference's numbers.

A style variant is a correct student rewritten without changing what the code computes (other names, transposed
storage, dicts, float32, in-place operations, methods attached later, extra return values, columns, ...); the grader
must give it every point but the breaches of the template it lists. Here, without the grader, each variant's cells
(its base student's with the variant's edits, training runs left out) run in a namespace of their own, and the
examiner drives its classes by hand, as written down below for every base student and every variant that changes how
the interface is reached (WAYS): forward values, gradients, update and zero_grad are compared with the reference on
random problems. This is the oracle the grader's adapter is measured against, so it uses no grader code.

Grading the variants end to end is tests/test_submissions.py's (slow) job: styles.toml's records are built into the
corpus with the bugs, so every variant is graded there against its expectation (`-k NAME` for some). The last test
here only checks that they are.
"""

import itertools
import random
import sys
import tomllib
from pathlib import Path

import nbformat
import numpy as np
import pytest

import reference
from reference.assignment import CODE_EXERCISES, NETWORK_PARAMETERS, shape
from reference.batched import DERIVATIVES, bptt_gradient, rtrl_gradient
from reference.finite_differences import relative_error

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))
import build  # noqa: E402
import expectations  # noqa: E402

STYLES = {s["name"]: s for s in tomllib.loads((ROOT / "submissions" / "styles.toml").read_text())["style"]}
STUDENTS = ("alice", "bob", "carol", "dave", "erin", "frank")
TEMPLATE = nbformat.read(ROOT / "reference" / "template.ipynb", as_version=4)
ACTIVATIONS = {
    "tanh": (reference.tanh, reference.tanh_derivative),
    "sigmoid": (reference.sigmoid, reference.sigmoid_derivative),
    "softsign": (reference.softsign, reference.softsign_derivative),
}
BREACH_KINDS = ("returns", "columns", "container", "globals")  # as grader/checks/registry.py's BREACHES

# ---------------------------------------------------------------- how the examiner reaches the interface

# Python expressions, evaluated in the notebook's namespace with the local names they use: sizes D, I, T; a Gate g
# (its parameters and buffers are written with "{g}", so that an LSTM's gates reuse them), activation f and its
# derivative df, inputs x, h, time index t, upstream gradient d; an LSTM m with target y; an LSTM_RTRL r. A parameter's
# expression is a view of the student's array in the interface's layout (".T" for transposed storage), written to in
# place. "m.W_z" and the like name an LSTM's parameter directly where it has no Gate objects.
DEFAULT = {
    "gate": "Gate(D, I, f, df)",
    "forward": "g.forward(x, h)",
    "backward": "g.backward(d)",
    "W": "{g}.W",
    "R": "{g}.R",
    "b": "{g}.b",
    "dW": "{g}.dW",
    "dR": "{g}.dR",
    "db": "{g}.db",
    "lstm": "LSTM(D, I)",
    "loss": "m.forward(x, y)",
    "z": "m.z",
    "i": "m.i",
    "o": "m.o",
    "W_y": "m.W_y",
    "b_y": "m.b_y",
    "dW_y": "m.dW_y",
    "db_y": "m.db_y",
    "rtrl": "LSTM_RTRL(D, I)",
    "reset": "r.reset()",
    "step": "r.forward(x, y)",
    **{f"r.{n}": f"r.{n}" for n in NETWORK_PARAMETERS},
    **{f"r.d{n}": f"r.d{n}" for n in NETWORK_PARAMETERS},
    "globals": {},  # notebook global -> the size it must hold ("T", "I"), for code that reads globals
}


def renamed(obj, names, grads):
    """The RTRL entries of an object whose parameter n is called names[n] and whose buffer is grads.format(n)."""
    return {f"r.{n}": f"{obj}.{names[n]}" for n in names} | {
        f"r.d{n}": f"{obj}.{grads.format(names[n])}" for n in names
    }


CAROL_RTRL = {f"{k}_{g}": (f"{k}{g}.T" if k == "W" else f"{k}{g}") for g in "zio" for k in "WRb"} | {
    "W_y": "V",
    "b_y": "b_out",
}  # carol's names of the network's parameters, Wz stored D x I
WAYS = {
    "alice": {},
    "dave": {},
    "erin": {},
    "bob": {
        "gate": "Gate(I, D, T, f, df)",
        "forward": "g.forward(x, h, t)",
        "backward": "g.backward(d, t, x, h)",
        "lstm": "LSTM(D, I, 1, T)",
        "reset": "None",
        "step": "r.forward(x, t, y)",
    },
    "carol": {
        "W": "{g}.W.T",
        "R": "{g}.U",
        "b": "{g}.bias",
        "dW": "{g}.nabla_W_L.T",
        "dR": "{g}.nabla_U_L",
        "db": "{g}.nabla_bias_L",
        "z": "m.cell_input",
        "i": "m.input_gate",
        "o": "m.output_gate",
        "W_y": "m.V",
        "b_y": "m.b_out",
        "dW_y": "m.g_V",
        "db_y": "m.g_b_out",
        **{f"r.{n}": f"r.{a}" for n, a in CAROL_RTRL.items()},
        **{f"r.d{n}": f"r.g_{a}" for n, a in CAROL_RTRL.items()},
    },
    "frank": {
        "gate": "Gate(I, D, f, df)",
        "forward": "(g.forward(x, h), g.output[-1])[1]",
        "lstm": "LSTM(I, D)",
        "W_y": "m.W_out",
        "b_y": "m.b_out",
        "dW_y": "m.dW_out",
        "db_y": "m.db_out",
        "rtrl": "LSTM_RTRL(I, D)",
    },
}
COLUMN_GATE = {
    "forward": "g.forward(x[:, None], h[:, None])",
    "backward": "g.backward(d[:, None])",
    "b": "{g}.b[:, 0]",
    "db": "{g}.db[:, 0]",
}
COLUMN_RTRL = {
    "step": "r.forward(x[:, None], None if y is None else y[:, None])",
    **renamed("r", {n: f"{n}[:, 0]" for n in NETWORK_PARAMETERS if n.startswith("b")}, "d{}"),
}
VARIANT_WAYS = {  # variant -> what differs from its base student's way
    "global_T": {"globals": {"T": "T"}},
    "names_vocab_alice": {
        "W": "{g}.W_in",
        "R": "{g}.W_rec",
        "b": "{g}.bias",
        "dW": "{g}.grad_W_in",
        "dR": "{g}.grad_W_rec",
        "db": "{g}.grad_bias",
        "z": "m.candidate",
        "i": "m.input_gate",
        "o": "m.output_gate",
        "dW_y": "m.grad_W_y",
        "db_y": "m.grad_b_y",
    },
    "names_vocab_erin": {
        "W": "{g}.Wx",
        "R": "{g}.Wh",
        "b": "{g}.bh",
        "dW": "{g}.nabla_Wx",
        "dR": "{g}.nabla_Wh",
        "db": "{g}.nabla_bh",
        "z": "m.block_input",
        "i": "m.in_gate",
        "o": "m.out_gate",
        "W_y": "m.Why",
        "b_y": "m.by",
        "dW_y": "m.nabla_Why",
        "db_y": "m.nabla_by",
    },
    "grads_suffix_frank": {
        "dW": "{g}.W_grad",
        "dR": "{g}.R_grad",
        "db": "{g}.b_grad",
        "dW_y": "m.W_out_grad",
        "db_y": "m.b_out_grad",
        **renamed("r", {n: n for n in NETWORK_PARAMETERS}, "{}_grad"),
    },
    "grads_dL_dave": {
        "dW": "{g}.dL_dW",
        "dR": "{g}.dL_dR",
        "db": "{g}.dL_db",
        "dW_y": "m.dL_dW_y",
        "db_y": "m.dL_db_y",
        **renamed("r", {n: n for n in NETWORK_PARAMETERS}, "dL_d{}"),
    },
    "rowvec_alice": {
        "W": "{g}.W.T",
        "R": "{g}.R.T",
        "dW": "{g}.dW.T",
        "dR": "{g}.dR.T",
        "W_y": "m.W_y.T",
        "dW_y": "m.dW_y.T",
    },
    "rowvec_erin": {
        "W": "{g}.W.T",
        "R": "{g}.R.T",
        "b": "{g}.b[0]",
        "dW": "{g}.dW.T",
        "dR": "{g}.dR.T",
        "db": "{g}.db[0]",
        **renamed("r", {n: n + (".T" if n[0] in "WR" else "[0]") for n in NETWORK_PARAMETERS}, "d{}"),
    },
    "rowvec_carol": {
        "R": "{g}.U.T",
        "dR": "{g}.nabla_U_L.T",
        **renamed("r", {f"R_{g}": f"R{g}.T" for g in "zio"}, "g_{}"),
    },
    "params_dict_alice": {k: f"{{g}}.params['{k}']" for k in "WRb"} | {f"d{k}": f"{{g}}.grads['{k}']" for k in "WRb"},
    "params_dict_frank": {
        **{f"r.{n}": f"r.params['{n}']" for n in NETWORK_PARAMETERS},
        **{f"r.d{n}": f"r.grads['{n}']" for n in NETWORK_PARAMETERS},
    },
    "params_list_erin": {k: f"{{g}}.params[{n}]" for n, k in enumerate("WRb")}
    | {f"d{k}": f"{{g}}.grads[{n}]" for n, k in enumerate("WRb")},
    "gates_dict_alice": {g: f"m.gates['{g}']" for g in "zio"},
    "gates_list_frank": {g: f"m.gates[{n}]" for n, g in enumerate("zio")},
    "gate_tuples_alice": {"forward": "g.forward(x, h)[0]"},
    "gate_tuples_erin": {"forward": "g.forward(x, h)[0]"},
    "lstm_forward_tuple_alice": {"loss": "m.forward(x, y)[0]"},
    "lstm_forward_tuple_dave": {"loss": "m.forward(x, y)[1]"},
    "rtrl_forward_tuple_dave": {"step": "r.forward(x, y)[0]"},
    "rtrl_forward_tuple_erin": {"step": "r.forward(x, y)[0]"},
    **dict.fromkeys(("columns_gate_alice", "columns_gate_erin"), COLUMN_GATE),
    **dict.fromkeys(("columns_rtrl_frank", "columns_rtrl_dave"), COLUMN_RTRL),
    "flat_lstm_erin": {f"m.{p}{n}": f"m.{p}{n}" for n in NETWORK_PARAMETERS[:9] for p in ("", "d")},
    "flat_lstm_carol": {
        f"m.{p}{n}": "m." + ("g_" if p else "") + CAROL_RTRL[n] for n in NETWORK_PARAMETERS[:9] for p in ("", "d")
    },
    "time_index_alice": {"forward": "g.forward(x, h, t)", "backward": "g.backward(d, t)"},
    "time_index_erin": {"forward": "g.forward(x, h, t)", "backward": "g.backward(d, t)"},
    "sizes_order_alice": {"gate": "Gate(I, D, f, df)", "lstm": "LSTM(I, D)", "rtrl": "LSTM_RTRL(I, D)"},
    "sizes_order_erin": {"gate": "Gate(I, D, f, df)", "lstm": "LSTM(I, D)", "rtrl": "LSTM_RTRL(I, D)"},
    "globals_hidden_erin": {"globals": {"hidden_size": "I"}},
    "globals_rtrl_bob": {"globals": {"I": "I"}},
}
# Variants whose generate_data draws other random numbers than their base's: their data is checked by statistics.
OWN_DRAWS = {"data_gauss_dave", "data_gauss_erin"}
FLOAT32 = {"float32_alice", "float32_frank"}  # computing in float32: relative tolerance 1e-5 instead of 1e-9


def way_of(name):
    base = STYLES[name]["base"] if name in STYLES else name
    return DEFAULT | WAYS[base] | VARIANT_WAYS.get(name, {})


def cells_of(name):
    """(cell id, source) of a student's or variant's cells, as its notebook has them."""
    cells = build.cells_of(STYLES[name]["base"]) if name in STYLES else build.cells_of(name)
    return [(key, source) for key, _, source in (build.edited(cells, STYLES[name]) if name in STYLES else cells)]


def run_cells(name):
    """The notebook's namespace after the template's given code and every cell of its that is not a training run
    (as tests/test_adapter.py's namespace_of), and the ids of the cells that raised."""
    ns, failed = {}, []
    given = [("given", c.source) for c in TEMPLATE.cells if "given" in c.metadata["tags"]]
    for key, source in given + [c for c in cells_of(name) if "experiment" not in c[0]]:
        try:
            exec("\n".join(line for line in source.splitlines() if not line.startswith("%")), ns)
        except Exception:
            failed.append(key)
    return ns, failed


# ---------------------------------------------------------------- driving the student's code


class Examiner:
    """One notebook's classes driven by their way, on the interface's values."""

    def __init__(self, name, sizes):
        self.ns = run_cells(name)[0]
        self.way, self.sizes = way_of(name), sizes
        for global_name, size in self.way["globals"].items():
            self.ns[global_name] = sizes[size]

    def ev(self, expr, **names):
        return eval(expr, self.ns, self.sizes | names)

    def read(self, expr, **names):
        return np.array(self.ev(expr, **names), dtype=float)

    def write(self, expr, value, **names):
        target = self.ev(expr, **names)
        assert target.shape == value.shape, f"{expr} has shape {target.shape}, not {value.shape}"
        target[...] = value

    def expr(self, name, owner):
        """The expression of a parameter or buffer ("W", "dW_z", "W_y") of a Gate g, an LSTM m or an LSTM_RTRL r."""
        if owner == "r":
            return self.way[f"r.{name}"]
        if owner == "g":
            return self.way[name].format(g="g")
        if f"m.{name}" in self.way or name.lstrip("d") in ("W_y", "b_y"):
            return self.way.get(f"m.{name}", self.way.get(name))
        kind, gate = name.split("_")
        return self.way[kind].format(g=self.way[gate])

    def numbers(self, owner, obj, names):
        return {n: self.read(self.expr(n, owner), **{owner: obj}) for n in names}

    def learn(self, owner, obj, params, eta, run):
        """Set params, zero_grad, run(): what it reported, the buffers, the parameters after update(eta), the buffers
        after zero_grad."""
        for n, value in params.items():
            self.write(self.expr(n, owner), value, **{owner: obj})
        obj.zero_grad()
        reported = run()
        grads = self.numbers(owner, obj, ["d" + n for n in params])
        obj.update(eta)
        updated = self.numbers(owner, obj, params)
        obj.zero_grad()
        zeroed = self.numbers(owner, obj, ["d" + n for n in params])
        return reported, {n: grads["d" + n] for n in params}, updated, {n: zeroed["d" + n] for n in params}

    def gate(self, activation, params, xs, hs, upstream, eta):
        f, df = ACTIVATIONS[activation]
        g = self.ev(self.way["gate"], f=f, df=df)

        def run():
            a = [
                np.array(self.ev(self.way["forward"], g=g, x=x.copy(), h=h.copy(), t=t), dtype=float).reshape(-1)
                for t, (x, h) in enumerate(zip(xs, hs))
            ]
            backs = [
                self.ev(self.way["backward"], g=g, d=upstream[t].copy(), t=t, x=xs[t].copy(), h=hs[t].copy())
                for t in reversed(range(len(xs)))
            ][::-1]
            return {
                "a": np.array(a),
                "grad_x": np.array([np.reshape(b[0], -1) for b in backs], dtype=float),
                "grad_h": np.array([np.reshape(b[1], -1) for b in backs], dtype=float),
            }

        return self.learn("g", g, params, eta, run)

    def lstm(self, params, xs, ys, eta):
        m = self.ev(self.way["lstm"])

        def run():
            losses = []
            for x, y in zip(xs, ys):
                losses.append(float(np.sum(self.ev(self.way["loss"], m=m, x=x.copy(), y=y.copy()))))
                m.backward()
            return np.array(losses)

        return self.learn("m", m, params, eta, run)

    def rtrl(self, params, xs, ys, eta):
        r = self.ev(self.way["rtrl"])

        def run():
            outputs = []
            for x, y in zip(xs, ys):
                self.ev(self.way["reset"], r=r)
                for t, x_t in enumerate(x):
                    target = y.copy() if t == len(x) - 1 else None
                    out = self.ev(self.way["step"], r=r, x=x_t.copy(), y=target, t=t)
                    outputs.append(np.array(out, dtype=float).reshape(-1))
            return np.array(outputs)

        return self.learn("r", r, params, eta, run)


# ---------------------------------------------------------------- the reference's numbers


def reference_gate(D, I, activation, params, xs, hs, upstream):
    g = reference.Gate(D, I, *ACTIVATIONS[activation])
    g.W, g.R, g.b = (params[k].copy() for k in "WRb")
    a = np.array([g.forward(x, h) for x, h in zip(xs, hs)])
    backs = [g.backward(u) for u in reversed(list(upstream))][::-1]
    return (
        {"a": a, "grad_x": np.array([b[0] for b in backs]), "grad_h": np.array([b[1] for b in backs])},
        {"W": g.dW, "R": g.dR, "b": g.db},
    )


def reference_network(params, xs, ys, method):
    """(per-sequence losses, or ŷ at every step; the gradient summed over the sequences)."""
    grads, losses = {n: 0.0 for n in params}, []
    for x, y in zip(xs, ys):
        loss, g = (bptt_gradient if method == "bptt" else rtrl_gradient)(params, x[None], y[None], DERIVATIVES)
        losses.append(loss)
        grads = {n: grads[n] + g[n] for n in params}
    if method == "bptt":
        return np.array(losses), grads
    model = reference.LSTM_RTRL(xs.shape[2], params["b_z"].shape[0])
    for n in NETWORK_PARAMETERS:
        getattr(model, n)[...] = params[n]
    outputs = []
    for x in xs:
        model.reset()
        outputs += [model.forward(x_t) for x_t in x]
    return np.array(outputs), grads


def random_params(rng, D, I, names):
    return {n: rng.uniform(-1.0, 1.0, size=shape(n, D, I)) for n in names}


def assert_learns(name, got, reported, grads, params, eta):
    """The student's run against the reference's: what it reported, its buffers, its update and its zero_grad."""
    tolerance = 1e-5 if name in FLOAT32 else 1e-9
    got_reported, got_grads, updated, zeroed = got
    for key in reported:
        assert relative_error(np.asarray(got_reported[key]), reported[key]) < tolerance, f"{name}: {key}"
    for n in params:
        assert relative_error(got_grads[n], grads[n]) < tolerance, f"{name}: gradient of {n}"
        assert relative_error(updated[n], params[n] - eta * grads[n]) < tolerance, f"{name}: update of {n}"
        assert np.all(zeroed[n] == 0), f"{name}: zero_grad left {n}'s buffer nonzero"


# ---------------------------------------------------------------- the tests

NAMES = list(STUDENTS) + list(STYLES)
SIZES = [(2, 3), (3, 3), (1, 4)]


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_runs_as_in_its_base(name):
    base = STYLES[name]["base"] if name in STYLES else name
    assert run_cells(name)[1] == run_cells(base)[1]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("D, I", SIZES)
def test_the_gate_computes_the_references_numbers(name, D, I):
    rng = np.random.default_rng(D * 10 + I)
    for activation in ACTIVATIONS:
        params, T = random_params(rng, D, I, "WRb"), 4
        xs, hs, upstream = rng.normal(size=(T, D)), rng.normal(size=(T, I)), rng.normal(size=(T, I))
        got = Examiner(name, dict(D=D, I=I, T=T)).gate(activation, params, xs, hs, upstream, 0.1)
        outputs, grads = reference_gate(D, I, activation, params, xs, hs, upstream)
        assert_learns(name, ({k: got[0][k] for k in outputs}, *got[1:]), outputs, grads, params, 0.1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("D, I", SIZES)
@pytest.mark.parametrize("class_name", ["LSTM", "LSTM_RTRL"])
def test_the_networks_compute_the_references_numbers(name, D, I, class_name):
    rng = np.random.default_rng(D + I)
    params, T = random_params(rng, D, I, NETWORK_PARAMETERS), 5
    xs, ys = rng.normal(size=(2, T, D)), np.array([[1.0], [0.0]])
    examiner = Examiner(name, dict(D=D, I=I, T=T))
    method = "bptt" if class_name == "LSTM" else "rtrl"
    got = (examiner.lstm if method == "bptt" else examiner.rtrl)(params, xs, ys, 0.1)
    reported, grads = reference_network(params, xs, ys, method)
    assert_learns(name, ({"out": got[0]}, *got[1:]), {"out": reported}, grads, params, 0.1)


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
