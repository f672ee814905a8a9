"""KernelSession.call against sabotaged, forged or lost kernels, and the grader's errors: each test fails if the
defence it names breaks."""

import pickle

import nbformat
import numpy as np
import pytest
from grading import SMALL, PeakRss, notebook, run

from grader import sandbox
from grader.cli import main
from grader.errors import CallTimeout, KernelDied, KernelStartFailed, NoResult, NotANotebook, StudentCodeError
from grader.execute import KernelSession, Limits

STUDENT = """\
import numpy as np

def f(x):
    return 2 * x

def fails():
    raise ValueError("bad shape")

def spin():
    while True:
        pass

def stubborn():
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass

def chatty():
    for _ in range(10_000):
        print("z" * 10_000)  # 100 MB
    return 7
"""

SABOTAGE = """\
import json
np.allclose = lambda *a, **k: True
np.save = None
np.asarray = None
json.dumps = lambda *a, **k: '{"ok": true}'
len, isinstance, dict = 3, None, None
print('{"ok": true, "result": {"y": 0}}')
"""


def test_call_returns_exact_values_despite_sabotage():
    with KernelSession(notebook(STUDENT, SABOTAGE), SMALL) as session:
        assert [r.outcome for r in session.run_notebook()] == ["ok", "ok"]
        result = session.call(
            "rng = np.random.default_rng(0)\n"
            "x = rng.standard_normal((3, 4))\n"
            "result = {'x': x, 'y': f(x), 'f32': np.float32([0.1]), 'i': np.arange(3), 'b': x > 0,\n"
            "          'n': 3, 't': 0.1, 'ok': True, 's': 'text', 'none': None, 'list': [1.5, x[0]],\n"
            "          'allclose': np.allclose(1, 2)}"
        )
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert result["x"].dtype == np.float64 and result["x"].shape == (3, 4)
    assert result["x"].tobytes() == x.tobytes()
    assert result["y"].tobytes() == (2 * x).tobytes()
    assert result["f32"].dtype == np.float64 and result["f32"][0] == np.float64(np.float32(0.1))
    assert result["i"].dtype == np.int64 and result["i"].tolist() == [0, 1, 2]
    assert result["b"].dtype == np.bool_ and result["b"].tolist() == (x > 0).tolist()
    assert (result["n"], result["t"], result["ok"], result["s"], result["none"]) == (3, 0.1, True, "text", None)
    assert result["list"][0] == 1.5 and result["list"][1].tobytes() == x[0].tobytes()
    assert result["allclose"] is True  # call code sees the student's numpy: compare on the grader's side


def test_call_failures_raise_named_errors_and_the_session_recovers_from_interrupts():
    with KernelSession(notebook(STUDENT), SMALL) as session:
        session.run_notebook()
        with pytest.raises(StudentCodeError) as raised:
            session.call("result = {'y': fails()}", what="running fails()")
        assert (raised.value.ename, raised.value.evalue) == ("ValueError", "bad shape")
        assert "ValueError: bad shape" in raised.value.sentence()

        with pytest.raises(CallTimeout):
            session.call("result = {'y': spin()}", timeout=2)
        assert session.call("result = {'y': f(1)}") == {"y": 2}  # interrupted; definitions kept

        with PeakRss() as rss:
            assert session.call("result = {'y': chatty()}", timeout=20) == {"y": 7}
        assert rss.growth < 200 << 20

        with pytest.raises(CallTimeout):
            session.call("result = {'y': stubborn()}", timeout=2)
        assert session.call("result = {'y': f(1)}") == {"y": 2}  # restarted, and the notebook replayed


def test_a_lost_kernel_is_replaced_and_the_notebook_replayed_until_the_replay_budget_is_spent():
    limits = Limits(cell_timeout=30, notebook_timeout=6, memory_bytes=1 << 30, output_chars=2_000)
    with KernelSession(notebook("import os, time\nx = 1", "time.sleep(3.5)"), limits) as session:
        session.run_notebook()
        with pytest.raises(KernelDied) as died:
            session.call("result = {'y': os._exit(3)}", what="running your exit")
        assert died.value.recovered and "re-ran your notebook" in died.value.sentence()
        back = f"import {session.package}\nresult = {{'x': x, 'grader': hasattr({session.package}, 'scenarios')}}"
        assert session.call(back) == {"x": 1, "grader": True}  # definitions and the grader's package back
        with pytest.raises(KernelDied):  # the second replay would pass the 6 s budget: the session is lost
            session.call("result = {'y': os._exit(3)}", what="running your exit again")
        with pytest.raises(KernelDied) as lost:
            session.call("result = {'x': x}")
        assert not lost.value.recovered and "running your exit again" in lost.value.sentence()


FORGE = """\
import os
from IPython import get_ipython
from IPython.display import display

def forge():
    mime = "application/x-grader-" + os.environ["GRADER_SESSION_TOKEN"] + "+json"
    display({mime: '{"nonce": "0", "ok": true, "result": {"y": 666}}'}, raw=True)
    get_ipython().display_pub.register_hook(lambda message: None)  # swallow the grader's real answer
    return 1
"""


def test_call_accepts_only_the_payload_with_its_nonce():
    with KernelSession(notebook(FORGE), SMALL) as session:
        session.run_notebook()
        with pytest.raises(NoResult):
            session.call("result = {'y': forge()}")


def test_channel_survives_reset():
    with KernelSession(notebook("x = 1", "%reset -f", "import os"), SMALL) as session:
        assert [r.outcome for r in session.run_notebook()] == ["ok", "ok", "ok"]
        assert session.call("result = {'names': sorted(n for n in ('x', 'os') if n in globals())}") == {"names": ["os"]}


def test_errors_say_one_sentence_and_pickle():
    errors = [
        NotANotebook("hw.ipynb", "not JSON"),
        KernelDied("running LSTM.forward", recovered=True),
        KernelDied("running LSTM.forward", recovered=False),
        CallTimeout(60.0, "running LSTM.forward"),
        StudentCodeError("ValueError", "bad shape:\n  expected (3, 4)", "running LSTM.forward"),
        NoResult("running LSTM.forward"),
    ]
    for error in errors:
        sentence = str(error)
        assert sentence == error.sentence() and "\n" not in sentence and sentence.endswith(".")
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == sentence


def test_a_kernel_that_cannot_start_is_the_graders_failure_in_one_sentence(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sandbox, "INTERPRETER", str(tmp_path / "no-python"))
    with pytest.raises(KernelStartFailed) as failed:
        run(notebook("print(1)"))
    assert "not of your notebook" in failed.value.sentence() and "\n" not in failed.value.sentence()
    notebook_path = tmp_path / "student.ipynb"
    nbformat.write(notebook("print(1)"), notebook_path)
    assert main([str(notebook_path)]) == 1
    assert "tell your instructor" in capsys.readouterr().err
