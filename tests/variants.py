"""The students and style variants of submissions/, their cells run without the grader, and how an examiner reaches
each one's interface (WAYS), for tests/test_styles.py and tests/test_styles_corpus.py."""

import sys
import tomllib
from pathlib import Path

import nbformat

from reference.assignment import NETWORK_PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions"))
import build  # noqa: E402

STYLES = {s["name"]: s for s in tomllib.loads((ROOT / "submissions" / "styles.toml").read_text())["style"]}
STUDENTS = ("alice", "bob", "carol", "dave", "erin", "frank")
TEMPLATE = nbformat.read(ROOT / "reference" / "template.ipynb", as_version=4)

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


NAMES = list(STUDENTS) + list(STYLES)
