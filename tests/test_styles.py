"""The style variants of submissions/styles.toml are correct code: each computes the reference's numbers.

A style variant is a correct student rewritten without changing what the code computes (other names, transposed
storage, dicts, float32, in-place operations, methods attached later, extra return values, columns, ...); the grader
must give it every point but the breaches of the template it lists. Here, without the grader, each variant's cells
(its base student's with the variant's edits, training runs left out) run in a namespace of their own, and the
examiner drives its classes by hand, as tests/variants.py writes down for every base student and every variant that
changes how the interface is reached (WAYS): forward values, gradients, update and zero_grad are compared with the
reference on random problems. This is the oracle the grader's adapter is measured against, so it uses no grader code.

Grading the variants end to end is tests/test_submissions.py's (slow) job: styles.toml's records are built into the
corpus with the bugs, so every variant is graded there against its expectation (`-k NAME` for some). The last test
of tests/test_styles_corpus.py only checks that they are.
"""

import numpy as np
import pytest
from variants import FLOAT32, NAMES, run_cells, way_of

import reference
from reference.assignment import NETWORK_PARAMETERS, shape
from reference.batched import DERIVATIVES, bptt_gradient, rtrl_gradient
from reference.finite_differences import relative_error

ACTIVATIONS = {
    "tanh": (reference.tanh, reference.tanh_derivative),
    "sigmoid": (reference.sigmoid, reference.sigmoid_derivative),
    "softsign": (reference.softsign, reference.softsign_derivative),
}


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

SIZES = [(2, 3), (3, 3), (1, 4)]


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
