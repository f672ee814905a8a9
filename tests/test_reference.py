"""The reference is verified against finite differences and statistical tests, over Hypothesis-drawn problems."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from strategies import problems, seeds, sizes

from reference import (
    LSTM,
    LSTM_RTRL,
    NOISE_VARIANCE,
    Gate,
    batched,
    generate_data,
    sigmoid,
    sigmoid_derivative,
    softsign,
    softsign_derivative,
    tanh,
    tanh_derivative,
)
from reference.finite_differences import numeric_gradient, relative_error
from reference.rtrl import PARAMS

ACTIVATIONS = {
    "tanh": (tanh, tanh_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "softsign": (softsign, softsign_derivative),
}
TOLERANCE = 1e-6


def parameters(model):
    """(name, parameter, gradient buffer) for every parameter array of a Gate, LSTM or LSTM_RTRL."""
    if isinstance(model, Gate):
        return [(k, getattr(model, k), getattr(model, "d" + k)) for k in ("W", "R", "b")]
    if isinstance(model, LSTM):
        gates = [
            (f"{g}.{k}", getattr(getattr(model, g), k), getattr(getattr(model, g), "d" + k))
            for g in "zio"
            for k in ("W", "R", "b")
        ]
        return gates + [(k, getattr(model, k), getattr(model, "d" + k)) for k in ("W_y", "b_y")]
    return [(k, getattr(model, k), getattr(model, "d" + k)) for k in PARAMS]


def scramble(model, rng, scale):
    """Replace every parameter by uniform draws in [-scale, scale], in place."""
    for _, array, _ in parameters(model):
        array[...] = rng.uniform(-scale, scale, size=array.shape)


def scrambled(cls, problem):
    """A network of `cls` at the problem's sizes, every parameter drawn at its scale, zero gradients; and x, y."""
    model = cls(problem["D"], problem["I"], rng=problem["rng"])
    scramble(model, problem["rng"], problem["scale"])
    model.zero_grad()
    return model, problem["x"], problem["y"]


def run_rtrl(model, x, y):
    """One sequence through LSTM_RTRL, the target given at the last step; returns the loss there."""
    model.reset()
    for t, x_t in enumerate(x):
        y_hat = model.forward(x_t, y if t == len(x) - 1 else None)
    return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


# ---------------------------------------------------------------- Gate (exercises 2 and 4)


@given(problem=problems(), activation=st.sampled_from(sorted(ACTIVATIONS)))
@settings(max_examples=40)
def test_gate_gradients_match_finite_differences(problem, activation):
    rng, D, I = problem["rng"], problem["D"], problem["I"]
    gate = Gate(D, I, *ACTIVATIONS[activation], rng=rng)
    scramble(gate, rng, problem["scale"])
    x, h, upstream = rng.normal(size=D), rng.normal(size=I), rng.normal(size=I)

    def loss():
        value = upstream @ gate.forward(x, h)
        gate.clear_cache()
        return value

    gate.forward(x, h)
    grad_x, grad_h = gate.backward(upstream)
    for name, array, grad in parameters(gate) + [("x", x, grad_x), ("h", h, grad_h)]:
        assert relative_error(grad, numeric_gradient(loss, array)) < TOLERANCE, name


@given(D=sizes, I=sizes, seed=seeds)
def test_gate_forward_is_the_activation_of_the_affine_map(D, I, seed):
    rng = np.random.default_rng(seed)
    gate = Gate(D, I, softsign, softsign_derivative, rng=rng)
    scramble(gate, rng, 3.0)
    x, h = rng.normal(size=D), rng.normal(size=I)
    np.testing.assert_allclose(gate.forward(x, h), softsign(gate.W @ x + gate.R @ h + gate.b), rtol=1e-14)


def test_gate_backward_accumulates_and_zero_grad_resets():
    rng = np.random.default_rng(1)
    gate = Gate(3, 4, tanh, tanh_derivative, rng=rng)
    inputs = [(rng.normal(size=3), rng.normal(size=4), rng.normal(size=4)) for _ in range(2)]
    single = []
    for x, h, g in inputs:
        gate.zero_grad()
        gate.forward(x, h)
        gate.backward(g)
        single.append([grad.copy() for _, _, grad in parameters(gate)])
    gate.zero_grad()
    for x, h, _ in inputs:
        gate.forward(x, h)
    for _, _, g in reversed(inputs):
        gate.backward(g)
    for (_, _, total), first, second in zip(parameters(gate), *single):
        np.testing.assert_allclose(total, first + second, rtol=1e-12)
    gate.zero_grad()
    assert all(not grad.any() for _, _, grad in parameters(gate))


# ---------------------------------------------------------------- LSTM with BPTT (exercises 5 and 6)


@given(problem=problems())
@settings(max_examples=25)
def test_lstm_bptt_gradients_match_finite_differences(problem):
    model, x, y = scrambled(LSTM, problem)
    model.forward(x, y)
    model.backward()
    for name, array, grad in parameters(model):
        assert relative_error(grad, numeric_gradient(lambda: model.forward(x, y), array)) < TOLERANCE, name


def test_lstm_backward_accumulates_and_zero_grad_resets():
    rng = np.random.default_rng(2)
    model = LSTM(2, 3, rng=rng)
    scramble(model, rng, 1.0)
    sequences = [(rng.normal(size=(4, 2)), np.array([1.0])), (rng.normal(size=(6, 2)), np.array([0.0]))]
    single = []
    for x, y in sequences:
        model.zero_grad()
        model.forward(x, y)
        model.backward()
        single.append([grad.copy() for _, _, grad in parameters(model)])
    model.zero_grad()
    for x, y in sequences:
        model.forward(x, y)
        model.backward()
    for (_, _, total), first, second in zip(parameters(model), *single):
        np.testing.assert_allclose(total, first + second, rtol=1e-12)
    model.zero_grad()
    assert all(not grad.any() for _, _, grad in parameters(model))


def test_lstm_forward_starts_each_sequence_from_zero_state():
    rng = np.random.default_rng(3)
    model = LSTM(1, 4, rng=rng)
    scramble(model, rng, 1.0)
    x, y = rng.normal(size=(5, 1)), np.array([1.0])
    first = model.forward(x, y)
    model.forward(rng.normal(size=(7, 1)), np.array([0.0]))
    assert model.forward(x, y) == first


def test_update_descends_along_the_gradient():
    rng = np.random.default_rng(4)
    model = LSTM(1, 3, rng=rng)
    x, y = rng.normal(size=(5, 1)), np.array([1.0])
    before = [array.copy() for _, array, _ in parameters(model)]
    model.zero_grad()
    loss = model.forward(x, y)
    model.backward()
    model.update(0.5)
    for (_, after, grad), old in zip(parameters(model), before):
        np.testing.assert_allclose(after, old - 0.5 * grad, rtol=1e-14)
    assert model.forward(x, y) < loss


# ---------------------------------------------------------------- LSTM_RTRL (exercises 9 and 10)


def frozen_h_loss(model, x, y, h_recorded):
    """The loss of the network whose gates read h(t-1) from a recorded trajectory instead of the live state.

    Its exact gradient is what the LSTM learning method computes; h_recorded[t] is h(t-1), h_recorded[0] = 0.
    """
    c = np.zeros_like(model.b_z)
    for x_t, h_prev in zip(x, h_recorded):
        z = np.tanh(model.pre_activation("z", x_t, h_prev))
        i = sigmoid(model.pre_activation("i", x_t, h_prev))
        o = sigmoid(model.pre_activation("o", x_t, h_prev))
        c = c + z * i
    y_hat = sigmoid(model.W_y @ (np.tanh(c) * o) + model.b_y)
    return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def recorded_trajectory(model, x):
    model.reset()
    trajectory = [model.h.copy()]
    for x_t in x[:-1]:
        model.forward(x_t)
        trajectory.append(model.h.copy())
    return trajectory


@given(problem=problems())
@settings(max_examples=25)
def test_rtrl_gradient_is_the_frozen_h_networks_gradient(problem):
    model, x, y = scrambled(LSTM_RTRL, problem)
    h_recorded = recorded_trajectory(model, x)
    loss = run_rtrl(model, x, y)
    assert loss == pytest.approx(frozen_h_loss(model, x, y, h_recorded), rel=1e-12)
    for name, array, grad in parameters(model):
        numeric = numeric_gradient(lambda: frozen_h_loss(model, x, y, h_recorded), array)
        assert relative_error(grad, numeric) < TOLERANCE, name


@given(problem=problems(min_length=2, min_scale=0.5))
@settings(max_examples=25)
def test_rtrl_truncation_is_real(problem):
    """For T > 1 the LSTM learning method drops the paths through h(t-1), so it is not the BPTT gradient."""
    rng = problem["rng"]
    bptt = LSTM(problem["D"], problem["I"], rng=rng)
    scramble(bptt, rng, problem["scale"])
    rtrl = LSTM_RTRL(problem["D"], problem["I"], rng=rng)
    for name, array in batched.params_of(bptt).items():
        getattr(rtrl, name)[...] = array
    x, y = problem["x"], problem["y"]
    bptt.zero_grad()
    bptt.forward(x, y)
    bptt.backward()
    rtrl.zero_grad()
    run_rtrl(rtrl, x, y)
    exact = np.concatenate([grad.ravel() for _, _, grad in parameters(bptt)])
    truncated = np.concatenate([grad.ravel() for _, _, grad in parameters(rtrl)])
    assert relative_error(truncated, exact) > 1e-4


def test_rtrl_sensitivities_have_the_parameters_shapes():
    """O(I(D+I)) numbers, not full RTRL's O(I²(D+I))."""
    model = LSTM_RTRL(3, 7)
    assert {name: s.shape for name, s in model.S.items()} == {
        name: getattr(model, name).shape for name in ("W_z", "R_z", "b_z", "W_i", "R_i", "b_i")
    }


def test_rtrl_reset_clears_state_and_sensitivities():
    rng = np.random.default_rng(5)
    model = LSTM_RTRL(1, 3, rng=rng)
    for x_t in rng.normal(size=(4, 1)):
        model.forward(x_t, np.array([1.0]))
    model.reset()
    assert not model.h.any() and not model.c.any() and not any(s.any() for s in model.S.values())


# ---------------------------------------------------------------- batched = per-sequence


@given(problem=problems(), batch=st.integers(min_value=1, max_value=4))
@settings(max_examples=30)
def test_batched_math_equals_per_sequence_classes(problem, batch):
    rng, D, I, T = problem["rng"], problem["D"], problem["I"], problem["T"]
    X, Y = rng.normal(size=(batch, T, D)), rng.integers(0, 2, size=(batch, 1)).astype(float)
    bptt = LSTM(D, I, rng=rng)
    scramble(bptt, rng, problem["scale"])
    rtrl = LSTM_RTRL(D, I, rng=rng)
    p = batched.params_of(bptt)
    for name, array in p.items():
        getattr(rtrl, name)[...] = array
    bptt.zero_grad()
    rtrl.zero_grad()
    loss_bptt = loss_rtrl = 0.0
    for x, y in zip(X, Y):
        loss_bptt += bptt.forward(x, y)
        bptt.backward()
        loss_rtrl += run_rtrl(rtrl, x, y)
    for method, model, loss in ((batched.bptt_gradient, bptt, loss_bptt), (batched.rtrl_gradient, rtrl, loss_rtrl)):
        batch_loss, grads = method(p, X, Y)
        assert batch_loss == pytest.approx(loss, rel=1e-12, abs=1e-12)
        for name, per_sequence in zip(p, (grad for _, _, grad in parameters(model))):
            np.testing.assert_allclose(grads[name], per_sequence, rtol=1e-12, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- initialisation and data (exercises 2, 5, 7, 9)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: Gate(8, 16, tanh, tanh_derivative, rng=rng),
        lambda rng: LSTM(8, 16, rng=rng),
        lambda rng: LSTM_RTRL(8, 16, rng=rng),
    ],
    ids=["Gate", "LSTM", "LSTM_RTRL"],
)
def test_initial_parameters_are_uniform_in_a_hundredth(make):
    values = np.concatenate([array.ravel() for _, array, _ in parameters(make(np.random.default_rng(6)))])
    assert np.abs(values).max() <= 0.01
    assert stats.kstest(values, stats.uniform(loc=-0.01, scale=0.02).cdf).pvalue > 1e-3


def draw_sequences(n, T, seed=7):
    stream = generate_data(T, rng=np.random.default_rng(seed))
    pairs = [next(stream) for _ in range(n)]
    return np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs])


def test_generate_data_shapes_and_first_element():
    X, Y = draw_sequences(500, 9)
    assert X.shape == (500, 9, 1) and Y.shape == (500, 1)
    np.testing.assert_array_equal(X[:, 0, 0], np.where(Y[:, 0] == 1.0, 1.0, -1.0))
    assert set(np.unique(Y)) == {0.0, 1.0}


def test_generate_data_labels_are_balanced():
    _, Y = draw_sequences(4000, 2)
    assert stats.binomtest(int(Y.sum()), 4000, 0.5).pvalue > 1e-3


def test_generate_data_noise_has_mean_zero_and_variance_0_2():
    X, _ = draw_sequences(2000, 20)
    noise = X[:, 1:, 0].ravel()
    n = noise.size
    assert stats.ttest_1samp(noise, 0.0).pvalue > 1e-3
    chi2 = (n - 1) * noise.var(ddof=1) / NOISE_VARIANCE  # ~ χ²(n-1) when the variance is 0.2
    assert 2 * min(stats.chi2.cdf(chi2, n - 1), stats.chi2.sf(chi2, n - 1)) > 1e-3
    assert stats.kstest(noise, stats.norm(scale=np.sqrt(NOISE_VARIANCE)).cdf).pvalue > 1e-3


def test_generate_data_uses_the_global_seed_by_default():
    np.random.seed(0xDEADBEEF)
    first = next(generate_data(5))
    np.random.seed(0xDEADBEEF)
    np.testing.assert_array_equal(next(generate_data(5))[0], first[0])
