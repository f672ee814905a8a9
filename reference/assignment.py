"""The assignment as one table: every exercise, what kind of work it asks for, the notebook names its code defines
(with the template's stubs), and how parameters are spelt.

The notebook generator builds the template and the solution from it (with the statements in exercises.md); the
grader locates exercises, titles its report, maps students' classes and totals points by it; the sample builder
and the tests derive their lists of exercises from it. Nothing here imports numpy: the grader ships this module
into the student's kernel as it is.
"""

from dataclasses import dataclass

GATES = ("z", "i", "o")  # cell input, input gate, output gate
GATE_PARAMETERS = ("W", "R", "b")
# Every network parameter has one name throughout the project: LSTM_RTRL's attribute names.
NETWORK_PARAMETERS = tuple(f"{kind}_{g}" for g in GATES for kind in GATE_PARAMETERS) + ("W_y", "b_y")
SHAPES = {"W": ("I", "D"), "R": ("I", "I"), "b": ("I",), "W_y": ("K", "I"), "b_y": ("K",)}  # by kind


def shape(name, D, I, K=1):
    """The interface shape of a parameter ("W_z", "b_y", or a Gate's "W") at sizes D, I, K."""
    sizes = {"D": D, "I": I, "K": K}
    return tuple(sizes[s] for s in SHAPES[name if name in SHAPES else name.split("_")[0]])


@dataclass(frozen=True)
class Method:
    """A method or function of the interface, as the template's stub spells it."""

    name: str
    params: str
    doc: str


@dataclass(frozen=True)
class Definition:
    """A notebook name an exercise's code cell defines: a function, or a class with some of its methods (a class's
    first exercise holds its `class` statement, later ones attach their methods to it)."""

    name: str
    module: str  # the reference module (reference/<module>.py) that holds the solution
    methods: tuple = ()  # Method, in the stub's order; a function is one Method of its own name
    protocol: str = "function"  # how it is driven: "module" (forward(x, h) / backward(grad_a) per step),
    # "sequence" (forward(x, y) over a sequence, then backward()) or "step" (reset(), then forward(x_t, y) per step)
    uses: tuple = ()  # other notebook classes whose methods this one's run
    spelling: str = "{kind}_{gate}"  # how the report names a network parameter of this class


@dataclass(frozen=True)
class Exercise:
    number: int
    title: str
    kind: str  # "code", "written", "code and result" or "code and written": the heading says it as it is
    defines: tuple = ()  # Definition
    given: tuple = ()  # reference.activations functions handed out ready-made in the exercise
    experiment: bool = False  # a training run whose printed result the student reports

    @property
    def code(self):
        """Graded automatically: the grader calls this exercise's code."""
        return "code" in self.kind

    @property
    def written(self):
        """Answered in Markdown, graded by hand."""
        return "written" in self.kind


def _gate(*methods):
    return Definition("Gate", "gate", methods, protocol="module")


def _lstm(*methods):
    return Definition("LSTM", "lstm", methods, protocol="sequence", uses=("Gate",), spelling="{gate}.{kind}")


def _rtrl(*methods):
    return Definition("LSTM_RTRL", "rtrl", methods, protocol="step")


EXERCISES = (
    Exercise(1, "Why a plain recurrent network forgets", "written"),
    Exercise(
        2,
        "The gate module",
        "code",
        given=("sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative"),
        defines=(
            _gate(
                Method(
                    "__init__",
                    "self, input_size, hidden_size, activation, activation_derivative",
                    "Parameters W (I, D), R (I, I), b (I,) uniform in [-0.01, 0.01]; gradient buffers dW, dR, db.",
                ),
                Method("forward", "self, x, h", "Return a = activation(W x + R h + b); remember what backward needs."),
            ),
        ),
    ),
    Exercise(3, "Gradients of a gate", "written"),
    Exercise(
        4,
        "The gate's backward pass",
        "code",
        defines=(
            _gate(
                Method("zero_grad", "self", "Set dW, dR, db to zero."),
                Method(
                    "backward",
                    "self, grad_a",
                    "Undo the latest forward call not yet undone: add to dW, dR, db; return (grad_x, grad_h).",
                ),
                Method("update", "self, eta", "One gradient-descent step with learning rate eta."),
            ),
        ),
    ),
    Exercise(
        5,
        "The LSTM's forward pass",
        "code",
        defines=(
            _lstm(
                Method(
                    "__init__",
                    "self, input_size, hidden_size, output_size=1",
                    "Gates z (tanh), i (sigmoid), o (sigmoid); output layer W_y (K, I), b_y (K,); buffers dW_y, db_y.",
                ),
                Method(
                    "forward",
                    "self, x, y",
                    "A new sequence x (T, D) from h(0) = c(0) = 0; "
                    "return the cross-entropy (float) of y_hat(T) and y (K,).",
                ),
            ),
        ),
    ),
    Exercise(
        6,
        "Backpropagation through time",
        "code",
        defines=(
            _lstm(
                Method("zero_grad", "self", "Set every gradient buffer (the gates' and dW_y, db_y) to zero."),
                Method("backward", "self", "Add the BPTT gradient of the latest forward call's loss to every buffer."),
                Method("update", "self, eta", "One gradient-descent step on every parameter."),
            ),
        ),
    ),
    Exercise(
        7,
        "Learning a long time lag",
        "code and result",
        experiment=True,
        defines=(
            Definition(
                "generate_data",
                "data",
                (
                    Method(
                        "generate_data",
                        "T",
                        "Yield (x, y) forever: x of shape (T, 1), y of shape (1,), as described above.",
                    ),
                ),
            ),
        ),
    ),
    Exercise(8, "RTRL under the LSTM learning method", "written"),
    Exercise(
        9,
        "An LSTM for RTRL: parameters and buffers",
        "code",
        defines=(
            _rtrl(
                Method(
                    "__init__",
                    "self, input_size, hidden_size, output_size=1",
                    "Parameters W_z, R_z, b_z, W_i, R_i, b_i, W_o, R_o, b_o, W_y, b_y and buffers dW_z, ..., db_y.",
                ),
                Method("reset", "self", "A new sequence: h, c and every sensitivity to zero."),
                Method("zero_grad", "self", "Set every gradient buffer to zero."),
                Method("update", "self, eta", "One gradient-descent step on every parameter."),
            ),
        ),
    ),
    Exercise(
        10,
        "One step of RTRL",
        "code",
        defines=(
            _rtrl(
                Method(
                    "forward",
                    "self, x_t, y=None",
                    "One step x_t (D,): update h, c and the sensitivities; return y_hat(t) (K,).\n"
                    "With a target y (K,), add the LSTM learning method's gradient of the loss at this step "
                    "to the buffers.",
                )
            ),
        ),
    ),
    Exercise(11, "RTRL versus BPTT", "code and written", experiment=True),
)

BY_NUMBER = {e.number: e for e in EXERCISES}
CODE_EXERCISES = tuple(e.number for e in EXERCISES if e.code)
WRITTEN_EXERCISES = tuple(e.number for e in EXERCISES if e.written)
EXPERIMENT_EXERCISES = tuple(e.number for e in EXERCISES if e.experiment)
NAMES = tuple(dict.fromkeys(d.name for e in EXERCISES for d in e.defines))  # Gate, LSTM, generate_data, LSTM_RTRL
DEFINITIONS = {d.name: d for e in EXERCISES for d in e.defines}  # the last exercise's, which has the class's `uses`
CLASSES = tuple(name for name in NAMES if DEFINITIONS[name].protocol != "function")


def signature(class_name):
    """The constructor call the template fixes, as a student reads it: "Gate(input_size, hidden_size, ...)"."""
    init = next(
        m for e in EXERCISES for d in e.defines if d.name == class_name for m in d.methods if m.name == "__init__"
    )
    return f"{class_name}({', '.join(p.split('=')[0] for p in init.params.split(', ')[1:])})"


def spelled(class_name, name):
    """A network parameter as the report names it for a class: LSTM's "W_z" is "z.W" (the W of its gate z)."""
    kind, _, gate = name.partition("_")
    return DEFINITIONS[class_name].spelling.format(kind=kind, gate=gate) if gate in GATES else name


def exercise_of(where):
    """The exercise that defines a method ("LSTM.forward") or, for a class ("LSTM") or a helper method, the class's
    first exercise."""
    class_name, _, method = where.partition(".")
    defining = [e.number for e in EXERCISES for d in e.defines if d.name == class_name]
    return next(
        (e.number for e in EXERCISES for d in e.defines if d.name == class_name for m in d.methods if m.name == method),
        defining[0],
    )
