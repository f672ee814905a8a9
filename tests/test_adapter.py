"""The kernel-side adapter and scenarios, called directly on the sample students' classes: no kernel, milliseconds.

Each correct sample student's and each style variant's cells run in a namespace of their own (as their notebook
would, minus the training runs); the scenarios must map their classes onto the interface whatever their style, and
what the scenarios read back must be the reference's numbers on the same weights, to the precision the student's
code computes in (float32 is correct code).
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from grader import expected
from grader.checks.common import close, tolerance
from grader.kernel import codec, scenarios
from grader.kernel.adapter import AdapterError, constructor_candidates
from reference.assignment import CLASSES, NAMES, NETWORK_PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))
import build  # noqa: E402

CORPUS = build.corpus()
STUDENTS = sorted(name for name, (_, _, expected) in CORPUS.items() if expected["kind"] in ("correct", "style"))
TEMPLATE = nbformat.read(ROOT / "reference" / "template.ipynb", as_version=4)


def namespace_of(student):
    """The student's notebook run in this process: the template's given code, then every cell of theirs that is not
    a training run, each allowed to fail as in Jupyter."""
    ns = {"T": 10, "I": 8, "hidden_size": 8}  # size globals that the training cells, left out here, would define
    given = [c.source for c in TEMPLATE.cells if "given" in c.metadata["tags"]]
    cells = [source for key, _, source in CORPUS[student][0] if "experiment" not in key]
    for source in given + cells:
        try:
            exec("\n".join(line for line in source.splitlines() if not line.startswith("%")), ns)
        except Exception:
            pass
    return ns


@pytest.fixture(scope="module", params=STUDENTS)
def student(request):
    state = np.random.get_state()
    yield namespace_of(request.param)
    np.random.set_state(state)


def answered(ns, scenario, **kwargs):
    """A scenario's answer, and the agreement the checks ask of it (grader.checks.common.tolerance)."""
    result = scenarios.answer(scenario, ns, kwargs)
    return result, lambda a, b: close(a, b, tolerance(SimpleNamespace(precision=result["precision"])))


def test_describe_finds_every_name_of_the_assignment(student):
    described = scenarios.describe(student, NAMES, CLASSES)
    assert described["defined"] == {name: True for name in NAMES}


@pytest.mark.parametrize("D, I", [(2, 3), (3, 3), (1, 4)])
def test_the_gate_maps_and_computes_the_references_numbers(student, D, I):
    rng = np.random.default_rng(D * 10 + I)
    params = expected.random_params(rng, D, I, 1, 1.0, ("W", "R", "b"))
    args = dict(
        D=D,
        I=I,
        activation="sigmoid",
        params=params,
        xs=rng.normal(size=(4, D)),
        hs=rng.normal(size=(4, I)),
        upstream=rng.normal(size=(4, I)),
    )
    (got, close), want = answered(student, "gate_scenario", eta=0.1, **args), expected.gate(**args)
    assert close(got["a"], want["a"]) and close(got["grad_x"], want["grad_x"]) and close(got["grad_h"], want["grad_h"])
    assert all(close(got["grads"][n], want["grads"][n]) for n in "WRb")
    assert all(close(got["updated"][n], params[n] - 0.1 * want["grads"][n]) for n in "WRb")
    assert got["zeroed"] == {"W": 0.0, "R": 0.0, "b": 0.0}


@pytest.mark.parametrize("class_name", ["LSTM", "LSTM_RTRL"])
@pytest.mark.parametrize("D, I", [(2, 3), (3, 3)])
def test_the_networks_map_and_compute_the_references_numbers(student, class_name, D, I):
    rng = np.random.default_rng(D + I)
    params = expected.random_params(rng, D, I, 1, 1.0, NETWORK_PARAMETERS)
    xs, ys = rng.normal(size=(2, 4, D)), np.array([[1.0], [0.0]])
    got, close = answered(
        student, "network_scenario", class_name=class_name, D=D, I=I, K=1, params=params, xs=xs, ys=ys, eta=0.1
    )
    want = expected.lstm(params, xs, ys, "bptt" if class_name == "LSTM" else "rtrl")
    if class_name == "LSTM":
        assert close(got["losses"], want["losses"])
    else:
        assert close(got["outputs"], expected.rtrl_outputs(params, xs))
    grads = (
        got["grads"]
        if set(got["grads"]) == set(NETWORK_PARAMETERS)
        else {n: (params[n] - got["updated"][n]) / 0.1 for n in NETWORK_PARAMETERS}
    )
    assert all(close(grads[n], want["grads"][n]) for n in NETWORK_PARAMETERS)


def test_fresh_parameters_have_the_interface_shapes(student):
    for class_name in CLASSES:
        params = scenarios.fresh_params(student, class_name, 3, 5)["draws"][0]
        assert all(np.abs(v).max() <= 0.01 for v in params.values())
        assert params["W" if class_name == "Gate" else "W_z"].shape == (5, 3)


def test_data_samples_read_the_generator(student):
    got = scenarios.data_samples(student, T=6, n=50, seed=1)
    assert got["X"].shape == (50, 6, 1) and got["Y"].shape == (50, 1) and got["is_generator"] and got["shapes_ok"]


def test_constructor_candidates_follow_parameter_names_then_common_orders():
    class Named:
        def __init__(self, hidden_size, input_size, f, f_prime):
            pass

    first, *rest = constructor_candidates(Named, {"D": 2, "I": 3, "T": 5, "K": 1}, "tanh")
    assert first[:2] == [3, 2] and callable(first[2]) and callable(first[3])
    assert [2, 3] in [args[:2] for args in rest]


def test_a_class_that_cannot_be_mapped_says_what_was_looked_for():
    class Gate:
        def __init__(self, input_size, hidden_size, activation, activation_derivative):
            self.weights = np.zeros((5, 5))

    with pytest.raises(AdapterError, match=r"no array of shape \(3, 3\) for R"):
        scenarios.build({"Gate": Gate}, "Gate", 2, 3)


@pytest.mark.parametrize(
    "value",
    [
        np.float32([0.5, 1.5]),
        np.arange(3, dtype=np.uint8),
        np.array([True, False]),
        {"a": [1.0, None, "text", np.float64(2.5)]},
    ],
)
def test_the_codec_round_trips_in_the_allowed_dtypes(value):
    back = codec.loads(codec.dumps(value))
    if isinstance(value, np.ndarray):
        assert back.dtype in (np.float64, np.int64, np.bool_) and back.tolist() == value.tolist()
    else:
        assert back == {"a": [1.0, None, "text", 2.5]} and type(back["a"][3]) is float


def test_the_codec_refuses_what_a_verdict_cannot_use():
    with pytest.raises(TypeError):
        codec.dumps(np.array(["text"]))
    with pytest.raises(TypeError):
        codec.dumps(object())
