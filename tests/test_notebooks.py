"""The template and solution notebooks: generated without drift, tagged, executable, and the same math as the reference.

The solution's code cells are our own trusted code, so (d) execs them in this process; the notebooks as files are
executed in a real python3 kernel through nbclient, as a student's (or the grader's) Jupyter would.
"""

import inspect
import re
import time

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import reference
from reference import LSTM, LSTM_RTRL, Gate, generate_data, notebooks, softsign, softsign_derivative
from reference.assignment import BY_NUMBER, CODE_EXERCISES, DEFINITIONS, EXERCISES, WRITTEN_EXERCISES
from reference.rtrl import PARAMS

DEFINING_ROLES = ("setup", "given", "code")  # the roles whose cells define things; "experiment" cells train
SOLUTION_BUDGET_SECONDS = 60  # the whole solution notebook, fresh kernel included
ACCURACY = re.compile(r"accuracy on 1000 fresh sequences of length 100: ([0-9.]+)")

# The contract's signatures, exactly as the template must spell them.
INTERFACE = {
    "Gate": {
        "__init__": "(self, input_size, hidden_size, activation, activation_derivative)",
        "forward": "(self, x, h)",
        "zero_grad": "(self)",
        "backward": "(self, grad_a)",
        "update": "(self, eta)",
    },
    "LSTM": {
        "__init__": "(self, input_size, hidden_size, output_size=1)",
        "forward": "(self, x, y)",
        "zero_grad": "(self)",
        "backward": "(self)",
        "update": "(self, eta)",
    },
    "LSTM_RTRL": {
        "__init__": "(self, input_size, hidden_size, output_size=1)",
        "reset": "(self)",
        "forward": "(self, x_t, y=None)",
        "zero_grad": "(self)",
        "update": "(self, eta)",
    },
}


def read(which):
    return nbformat.read(notebooks.HERE / f"{which}.ipynb", as_version=4)


def tags_of(cell):
    tags = cell.metadata.get("tags", [])
    exercises = [int(t.split("-")[1]) for t in tags if re.fullmatch(r"exercise-\d+", t)]
    roles = [t for t in tags if t in notebooks.ROLES]
    return exercises, roles


def exercise(cell):
    return tags_of(cell)[0][0]


def role(cell):
    return tags_of(cell)[1][0]


def run_cells(nb, roles):
    """Exec the cells of the given roles in a fresh namespace, leaving the global numpy seed as it was."""
    state = np.random.get_state()
    namespace = {}
    try:
        for cell in nb.cells:
            if cell.cell_type == "code" and role(cell) in roles:
                exec(compile(cell.source, f"<{cell.id}>", "exec"), namespace)
    finally:
        np.random.set_state(state)
    return namespace


def execute(nb, cwd):
    """Run a notebook top to bottom in a fresh python3 kernel; returns the executed copy and the seconds taken."""
    nb = nbformat.from_dict(nb)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=300, startup_timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()  # raises CellExecutionError on any error
    return nb, time.perf_counter() - start


def stdout_of(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


# ---------------------------------------------------------------- (a) no drift


def test_checked_in_notebooks_are_what_the_script_generates():
    for path, text in notebooks.targets().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python -m reference.notebooks"
    assert notebooks.main(["--check"]) == 0


def test_generation_is_deterministic():
    assert notebooks.render("template") == notebooks.render("template")
    assert notebooks.render("solution") == notebooks.render("solution")


def test_every_member_of_the_reference_classes_is_placed_in_one_exercise():
    for definition in DEFINITIONS.values():
        cls = getattr(reference, definition.name)
        if inspect.isclass(cls):
            interface = {
                m.name: e.number for e in EXERCISES for d in e.defines if d.name == cls.__name__ for m in d.methods
            }
            placed = [name for names in notebooks.members_by_exercise(cls, interface).values() for name in names]
            members = [n for n, m in vars(cls).items() if inspect.isfunction(m) or isinstance(m, property)]
            assert sorted(placed) == sorted(members), cls.__name__


def test_a_helper_after_the_last_interface_method_cannot_be_placed():
    class Late:
        def forward(self): ...
        def helper(self): ...

    with pytest.raises(LookupError, match="helper"):
        notebooks.members_by_exercise(Late, {"forward": 2})


# ---------------------------------------------------------------- (b) tags and structure


@pytest.mark.parametrize("which", ["template", "solution"])
def test_every_cell_has_one_exercise_tag_and_one_role(which):
    nb = read(which)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    previous = 0
    for cell in nb.cells:
        exercises, roles = tags_of(cell)
        assert len(exercises) == 1 and 0 <= exercises[0] <= 11, (cell.id, cell.metadata)
        assert len(roles) == 1 and len(cell.metadata["tags"]) == 2, (cell.id, cell.metadata)
        assert cell.cell_type == ("markdown" if roles[0] in ("text", "answer") else "code"), cell.id
        assert exercises[0] >= previous, f"{cell.id}: exercises out of order"
        previous = exercises[0]
        assert cell.id.startswith(f"ex{exercises[0]:02d}-{roles[0]}-"), cell.id
    assert [role(c) for c in nb.cells if exercise(c) == 0] == ["text", "text", "setup"]
    setup = next(c for c in nb.cells if role(c) == "setup").source
    assert "import numpy as np" in setup and "matplotlib" in setup and "np.random.seed(0xDEADBEEF)" in setup


@pytest.mark.parametrize("which", ["template", "solution"])
def test_every_exercise_has_its_cells(which):
    nb = read(which)
    for n in BY_NUMBER:
        mine = [c for c in nb.cells if exercise(c) == n]
        assert mine and role(mine[0]) == "text", f"exercise {n} has no statement first"
        assert re.match(rf"## Exercise {n}\b", mine[0].source), mine[0].source[:40]
        answers = [c for c in mine if role(c) == "answer"]
        assert bool(answers) == (n in WRITTEN_EXERCISES), f"exercise {n}: answer cells {answers}"
        code = [c for c in mine if role(c) in ("code", "experiment")]
        assert bool(code) == (n in CODE_EXERCISES), f"exercise {n}: code cells"


def test_template_and_solution_have_the_same_cells_and_differ_only_where_students_work():
    template, solution = read("template"), read("solution")
    assert [(c.id, c.cell_type, c.metadata) for c in template.cells] == [
        (c.id, c.cell_type, c.metadata) for c in solution.cells
    ]
    for t, s in zip(template.cells, solution.cells):
        if role(t) in ("text", "setup", "given"):
            assert t.source == s.source, t.id
        else:
            assert t.source != s.source, t.id
        if role(t) == "answer":
            assert t.source == notebooks.PLACEHOLDER and "Your answer here" in t.source
            assert "reference/answers.md" in s.source


@pytest.mark.parametrize("which", ["template", "solution"])
def test_notebooks_store_no_outputs_and_stand_alone(which):
    for cell in read(which).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
            assert not re.search(r"^\s*(from\s+\.|from\s+reference\b|import\s+reference\b)", cell.source, re.M), cell.id
            compile(cell.source, cell.id, "exec")


def test_template_holds_no_solution_code():
    for cell in read("template").cells:
        if role(cell) == "code":
            assert "TODO" in cell.source and "np.outer" not in cell.source and "np.tanh" not in cell.source, cell.id


# ---------------------------------------------------------------- (c) the solution runs top to bottom


@pytest.fixture(scope="module")
def executed_solution(tmp_path_factory):
    return execute(read("solution"), tmp_path_factory.mktemp("solution"))


def test_solution_executes_in_a_fresh_kernel_within_budget(executed_solution, record_property):
    nb, seconds = executed_solution
    record_property("solution_seconds", round(seconds, 1))
    print(f"solution.ipynb executed top to bottom in {seconds:.1f} s")
    errors = [c.id for c in nb.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert not errors
    assert seconds < SOLUTION_BUDGET_SECONDS


@pytest.mark.parametrize("cell_id", ["ex07-experiment-1", "ex11-experiment-1"])
def test_solution_experiments_learn_the_task(executed_solution, cell_id):
    nb, _ = executed_solution
    text = stdout_of(next(c for c in nb.cells if c.id == cell_id))
    match = ACCURACY.search(text)
    assert match, text
    print(text.strip())
    assert float(match.group(1)) >= 0.99, text


# ---------------------------------------------------------------- (d) the solution's classes are the reference's


@pytest.fixture(scope="module")
def solution():
    return run_cells(read("solution"), DEFINING_ROLES)


def copy_parameters(source, target, names):
    for name in names:
        array = getattr(source, name)
        setattr(target, name, array.copy())


def assert_same(reference, other, names):
    for name in names:
        np.testing.assert_allclose(getattr(other, name), getattr(reference, name), rtol=1e-13, atol=1e-15, err_msg=name)


def test_solution_gate_equals_reference(solution):
    rng = np.random.default_rng(11)
    ref = Gate(3, 4, softsign, softsign_derivative, rng=rng)  # an activation the notebook never defines
    mine = solution["Gate"](3, 4, softsign, softsign_derivative)
    for name in ("W", "R", "b"):
        getattr(ref, name)[...] = rng.uniform(-1.5, 1.5, size=getattr(ref, name).shape)
    copy_parameters(ref, mine, ("W", "R", "b"))
    inputs = [(rng.normal(size=3), rng.normal(size=4), rng.normal(size=4)) for _ in range(3)]
    for model in (ref, mine):
        model.zero_grad()
    for x, h, _ in inputs:
        np.testing.assert_allclose(mine.forward(x, h), ref.forward(x, h), rtol=1e-14)
    for _, _, grad_a in reversed(inputs):
        for a, b in zip(mine.backward(grad_a), ref.backward(grad_a)):
            np.testing.assert_allclose(a, b, rtol=1e-13)
    assert_same(ref, mine, ("dW", "dR", "db"))
    ref.update(0.3)
    mine.update(0.3)
    assert_same(ref, mine, ("W", "R", "b"))


LSTM_NAMES = tuple(f"{g}.{k}" for g in "zio" for k in ("W", "R", "b")) + ("W_y", "b_y")


def lstm_get(model, name):
    owner, _, attr = name.rpartition(".")
    return getattr(getattr(model, owner) if owner else model, attr)


def lstm_grad(model, name):
    owner, _, attr = name.rpartition(".")
    return getattr(getattr(model, owner) if owner else model, "d" + attr)


def test_solution_lstm_equals_reference(solution):
    rng = np.random.default_rng(12)
    ref, mine = LSTM(2, 3, rng=rng), solution["LSTM"](2, 3)
    for name in LSTM_NAMES:
        array = lstm_get(ref, name)
        array[...] = rng.uniform(-1.0, 1.0, size=array.shape)
        lstm_get(mine, name)[...] = array
    sequences = [(rng.normal(size=(5, 2)), np.array([1.0])), (rng.normal(size=(7, 2)), np.array([0.0]))]
    for model in (ref, mine):
        model.zero_grad()
    for x, y in sequences:  # two sequences: the gradients accumulate
        assert mine.forward(x, y) == pytest.approx(ref.forward(x, y), rel=1e-13)
        mine.backward()
        ref.backward()
    for name in LSTM_NAMES:
        np.testing.assert_allclose(lstm_grad(mine, name), lstm_grad(ref, name), rtol=1e-12, atol=1e-15, err_msg=name)
    ref.update(0.5)
    mine.update(0.5)
    for name in LSTM_NAMES:
        np.testing.assert_allclose(lstm_get(mine, name), lstm_get(ref, name), rtol=1e-13, err_msg=name)


def test_solution_rtrl_equals_reference(solution):
    rng = np.random.default_rng(13)
    ref, mine = LSTM_RTRL(2, 3, rng=rng), solution["LSTM_RTRL"](2, 3)
    for name in PARAMS:
        getattr(ref, name)[...] = rng.uniform(-1.0, 1.0, size=getattr(ref, name).shape)
    copy_parameters(ref, mine, PARAMS)
    for model in (ref, mine):
        model.zero_grad()
    for T in (4, 6):  # two sequences, targets at some steps and always at the last: the gradients accumulate
        ref.reset()
        mine.reset()
        for t, x_t in enumerate(rng.normal(size=(T, 2))):
            y = rng.integers(0, 2, size=1).astype(float) if t == T - 1 or rng.random() < 0.5 else None
            np.testing.assert_allclose(mine.forward(x_t, y), ref.forward(x_t, y), rtol=1e-13)
    assert_same(ref, mine, ["d" + name for name in PARAMS])
    ref.update(0.7)
    mine.update(0.7)
    assert_same(ref, mine, PARAMS)


def test_solution_initialises_from_the_global_seed_like_the_reference(solution):
    state = np.random.get_state()
    try:
        for make_ref, make_mine, names in (
            (lambda: LSTM(1, 4), lambda: solution["LSTM"](1, 4), LSTM_NAMES),
            (lambda: LSTM_RTRL(1, 4), lambda: solution["LSTM_RTRL"](1, 4), PARAMS),
        ):
            np.random.seed(0xDEADBEEF)
            ref = make_ref()
            np.random.seed(0xDEADBEEF)
            mine = make_mine()
            for name in names:
                value = lstm_get(mine, name)
                np.testing.assert_array_equal(value, lstm_get(ref, name), err_msg=name)
                assert np.all(np.abs(value) <= 0.01), name
    finally:
        np.random.set_state(state)


def test_solution_generate_data_equals_reference(solution):
    state = np.random.get_state()
    try:
        np.random.seed(0xDEADBEEF)
        mine = solution["generate_data"](7)
        drawn = [next(mine) for _ in range(5)]
        np.random.seed(0xDEADBEEF)
        ref = generate_data(7)
        for x, y in drawn:
            x_ref, y_ref = next(ref)
            assert x.shape == (7, 1) and y.shape == (1,)
            np.testing.assert_array_equal(x, x_ref)
            np.testing.assert_array_equal(y, y_ref)
    finally:
        np.random.set_state(state)


# ---------------------------------------------------------------- (e) the template runs and fixes the interface


def test_template_executes_in_a_fresh_kernel(tmp_path):
    # The template never calls a stub (its experiment cells are commented skeletons), so it runs without errors.
    nb, seconds = execute(read("template"), tmp_path)
    print(f"template.ipynb executed top to bottom in {seconds:.1f} s")
    assert not [c.id for c in nb.cells if any(o.output_type == "error" for o in c.get("outputs", []))]


def test_template_spells_the_interface_and_its_stubs_raise():
    namespace = run_cells(read("template"), DEFINING_ROLES + ("experiment",))
    for class_name, methods in INTERFACE.items():
        cls = namespace[class_name]
        for method, signature in methods.items():
            assert str(inspect.signature(getattr(cls, method))) == signature, f"{class_name}.{method}"
        with pytest.raises(NotImplementedError):
            cls(1, 2) if class_name != "Gate" else cls(1, 2, np.tanh, lambda s: 1 - np.tanh(s) ** 2)
    assert str(inspect.signature(namespace["generate_data"])) == "(T)"
    with pytest.raises(NotImplementedError):
        next(iter(namespace["generate_data"](5)))


def test_solution_accepts_every_call_the_interface_allows(solution):
    """The solution's signatures may add keyword-only-in-practice extras (rng=...), nothing else."""

    def shape(function):
        params = [p for p in inspect.signature(function).parameters.values() if p.name != "rng"]
        return [(p.kind, p.default) for p in params]

    template = run_cells(read("template"), DEFINING_ROLES)
    for class_name, methods in INTERFACE.items():
        for method in methods:
            assert shape(getattr(solution[class_name], method)) == shape(getattr(template[class_name], method)), (
                f"{class_name}.{method}"
            )
    assert shape(solution["generate_data"]) == shape(template["generate_data"])
