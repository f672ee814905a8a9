"""Mutants of the solution notebook's graded code, and whether each is equivalent to it (mutation testing).

A mutant is reference/solution.ipynb with one small change in one `code`-role cell of exercises 2, 4, 5, 6, 7, 9
or 10 (the classes and generate_data; the `experiment` cells are out of scope). `generate()` makes them all, each
with a stable id `<cell id>:<function>:L<line>:<operator>:<k>` (the line counted from the function's `def`, so that
reordering functions keeps the ids; k counts that operator on that line) and the line before and after.
`equivalence(mutant)` says whether it behaves exactly as the solution, and if not, how it differs.

Tree tool: the standard library's `ast`. Each operator builds a replacement node for one node of the cell's tree;
the mutant's source is the cell's text with only that node's span replaced by `ast.unparse` of the replacement
(parenthesised only where precedence needs it), so comments and formatting elsewhere stay as handed in. Every
mutant is verified: its source parses to exactly the tree with that one node replaced. libcst would keep the
formatting of the replacement too, but that is cosmetic here and not worth a dependency and a second tree model;
mutmut and cosmic-ray mutate files for a test suite they run themselves and lack the operators wanted here
(truncated loops, dtypes, dropped calls, swapped variables), so only their classic operator families are borrowed.

Equivalence is decided numerically and in-process (no kernel): the setup, given and code cells are exec'd into a
fresh namespace, the mutated cell in place of the original, and its classes and generate_data are driven through
the interface on drawn problems (sizes 1..6, T up to 60, weight scales up to 5, several seeds) beside the
unmutated ones. Equal to 1e-12 (relative, same shapes, NaN/Inf never equal) everywhere: equivalent. A mutant that
raises or times out is not. The behaviours that differed are recorded, to explain what the grader missed.
"""

import ast
import copy
import inspect
import os
import re
import signal
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
import numpy as np

SOLUTION = Path(__file__).resolve().parents[1] / "reference" / "solution.ipynb"  # or $MUTANTS_SOLUTION
MUTATED_EXERCISES = (2, 4, 5, 6, 7, 9, 10)
FAMILIES = (
    "arith",
    "compare",
    "sign",
    "constant",
    "index",
    "drop_term",
    "drop_factor",
    "drop_call",
    "drop_arg",
    "swap_args",
    "aug",
    "loop",
    "dtype",
    "delete",
    "swap_name",
)


@dataclass(frozen=True)
class Mutant:
    id: str  # e.g. "ex04-code-1:backward:L4:aug_to_assign:0" (line 4 of the function, counting its def as 0)
    cell: str  # the mutated cell's id
    exercise: int  # its exercise-N tag
    family: str
    line: int  # 1-based, in the cell
    before: str
    after: str
    source: str  # the whole mutated cell

    @property
    def description(self):
        return f"L{self.line}: {self.before}  ->  {self.after}"


def tags(cell):
    role = next(t for t in cell.metadata["tags"] if not t.startswith("exercise-"))
    return int(next(t for t in cell.metadata["tags"] if t.startswith("exercise-")).split("-")[1]), role


@cache
def read_solution(path):
    return nbformat.read(path, as_version=4)


def solution():
    return copy.deepcopy(read_solution(os.environ.get("MUTANTS_SOLUTION", str(SOLUTION))))


def mutated_cells(notebook):
    return [
        c for c in notebook.cells if c.cell_type == "code" and tags(c)[1] == "code" and tags(c)[0] in MUTATED_EXERCISES
    ]


def notebook(mutant=None, experiments=False):
    """The solution notebook with the mutant's cell replaced; without the experiment cells unless asked."""
    nb = solution()
    nb.cells = [c for c in nb.cells if experiments or tags(c)[1] != "experiment"]
    for cell in nb.cells:
        if mutant is not None and cell.id == mutant.cell:
            cell.source = mutant.source
    return nb


# ------------------------------------------------------------------------------------------------ operators
# Each operator takes a node (and its Site) and yields (family, operator name, replacement node).


def const(value):
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def int_literal(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and int_literal(node.operand) is not None:
        return -int_literal(node.operand)
    return None


def call_name(node):
    return ast.unparse(node.func) if isinstance(node, ast.Call) else None


def with_(node, **fields):
    new = copy.deepcopy(node)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


BINOP_SWAPS = {
    ast.Add: (ast.Sub, ast.Mult),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div, ast.Add),
    ast.Div: (ast.Mult,),
    ast.Pow: (ast.Mult,),
    ast.MatMult: (ast.Mult,),
}
CMP_SWAPS = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt,),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt,),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
}


def arith(node, site):
    for new in BINOP_SWAPS.get(type(node.op), ()) if isinstance(node, ast.BinOp) else ():
        yield "arith", f"{type(node.op).__name__}_to_{new.__name__}".lower(), with_(node, op=new())


def compare(node, site):
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        for new in CMP_SWAPS.get(type(node.ops[0]), ()):
            yield "compare", f"{type(node.ops[0]).__name__}_to_{new.__name__}".lower(), with_(node, ops=[new()])


def sign(node, site):
    if isinstance(node, ast.UnaryOp):
        yield "sign", "drop_unary", copy.deepcopy(node.operand)
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, (ast.Add, ast.Sub))
        and not isinstance(node.left, ast.Constant)
    ):  # (a constant's sign is the constant family's)
        yield "sign", "negate_left", with_(node, left=ast.UnaryOp(ast.USub(), copy.deepcopy(node.left)))
    if site.in_return and not isinstance(node, (ast.Tuple, ast.Constant)):
        yield "sign", "negate_return", ast.UnaryOp(ast.USub(), copy.deepcopy(node))


def constant(node, site):
    if not isinstance(node, ast.Constant) or site.in_slice or isinstance(node.value, str) or node.value is None:
        return
    v = node.value
    if isinstance(v, bool):
        yield "constant", "flip_bool", ast.Constant(not v)
        return
    seen = {v}
    negate = v and not isinstance(site.parent, ast.UnaryOp)  # -(-1.0) would only undo the sign
    for name, new in (
        ("zero_to_one", 1 if v == 0 else None),
        ("one_to_zero", 0 if v == 1 else None),
        ("plus_one", v + 1),
        ("negate", -v if negate else None),
        ("double", v * 2 if isinstance(v, float) else None),
    ):
        new = None if new is None else type(v)(new)
        if new is not None and new not in seen:
            seen.add(new)
            yield "constant", name, const(new)


def index(node, site):
    if not isinstance(node, ast.Subscript):
        return
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    for k, elt in enumerate(elts):
        value = int_literal(elt)
        for delta in (1, -1) if value is not None else ():
            new = copy.deepcopy(node)
            if isinstance(new.slice, ast.Tuple):
                new.slice.elts[k] = const(value + delta)
            else:
                new.slice = const(value + delta)
            yield "index", "index_plus_one" if delta > 0 else "index_minus_one", new
        if isinstance(elt, ast.Constant) and elt.value is Ellipsis:
            yield "index", "slice_from_one", with_(node, slice=ast.Slice(const(1), None, None))
            yield "index", "slice_to_minus_one", with_(node, slice=ast.Slice(None, const(-1), None))
        for bound in ("lower", "upper") if isinstance(elt, ast.Slice) else ():
            value = int_literal(getattr(elt, bound))
            for delta in (1, -1) if value is not None else ():
                yield (
                    "index",
                    f"slice_{bound}_{'plus' if delta > 0 else 'minus'}_one",
                    with_(node, slice=with_(elt, **{bound: const(value + delta)})),
                )


def drop_term(node, site):
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        yield "drop_term", "keep_left", copy.deepcopy(node.left)
        yield (
            "drop_term",
            "keep_right",
            copy.deepcopy(node.right)
            if isinstance(node.op, ast.Add)
            else ast.UnaryOp(ast.USub(), copy.deepcopy(node.right)),
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        yield "drop_factor", "keep_left", copy.deepcopy(node.left)
        if isinstance(node.op, ast.Mult):
            yield "drop_factor", "keep_right", copy.deepcopy(node.right)


LOOP_CALLS = ("reversed", "range", "zip", "enumerate")


def drop_call(node, site):
    if not isinstance(node, ast.Call) or call_name(node) in LOOP_CALLS:
        return
    if len(node.args) == 1 and not isinstance(node.args[0], ast.Starred):
        yield "drop_call", "drop_call", copy.deepcopy(node.args[0])
    for k in range(len(node.keywords)):
        yield "drop_arg", "drop_keyword", with_(node, keywords=node.keywords[:k] + node.keywords[k + 1 :])


def swappable(a, b):
    """Two arguments worth swapping: different, neither the object or generator passed along, and not a string
    with a non-string (which only raises)."""
    strings = [isinstance(n, ast.JoinedStr) or isinstance(n, ast.Constant) and isinstance(n.value, str) for n in (a, b)]
    passed = any(isinstance(n, ast.Name) and n.id in ("self", "rng") for n in (a, b))
    return ast.dump(a) != ast.dump(b) and not passed and strings[0] == strings[1]


def swapped(items, k):
    items = copy.deepcopy(items)
    items[k], items[k + 1] = items[k + 1], items[k]
    return items


def swap_args(node, site):
    if isinstance(node, ast.Call):
        for k in range(len(node.args) - 1):
            if swappable(node.args[k], node.args[k + 1]):
                yield "swap_args", "swap_args", with_(node, args=swapped(node.args, k))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult)):
        yield "swap_args", "swap_operands", with_(node, left=copy.deepcopy(node.right), right=copy.deepcopy(node.left))
    if isinstance(node, ast.Tuple) and not site.in_slice:
        for k in range(len(node.elts) - 1):
            if swappable(node.elts[k], node.elts[k + 1]):
                yield "swap_args", "swap_elements", with_(node, elts=swapped(node.elts, k))


def aug(node, site):
    if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
        yield "aug", "aug_to_assign", ast.Assign([copy.deepcopy(node.target)], copy.deepcopy(node.value))
        other = ast.Sub if isinstance(node.op, ast.Add) else ast.Add
        yield "aug", "iadd_to_isub" if other is ast.Sub else "isub_to_iadd", with_(node, op=other())


def truncate(iterable, part):
    """iterable[part], or, for reversed/zip/enumerate(a, ...), the same call on a[part]."""
    if call_name(iterable) in ("reversed", "zip", "enumerate") and iterable.args:
        return with_(iterable, args=[truncate(iterable.args[0], part)] + iterable.args[1:])
    return ast.Subscript(copy.deepcopy(iterable), part, ast.Load())


def loop(node, site):
    if site.field == "iter" and isinstance(site.parent, (ast.For, ast.comprehension)):
        yield "loop", "skip_last_iteration", truncate(node, ast.Slice(None, const(-1), None))
        yield "loop", "skip_first_iteration", truncate(node, ast.Slice(const(1), None, None))
    if call_name(node) == "reversed" and len(node.args) == 1:
        yield "loop", "drop_reversed", copy.deepcopy(node.args[0])
    if call_name(node) == "range" and node.args:
        last = ast.BinOp(copy.deepcopy(node.args[-1]), ast.Sub(), const(1))
        yield "loop", "shorter_range", with_(node, args=node.args[:-1] + [last])


NUMPY_CONSTRUCTORS = ("np.zeros", "np.zeros_like", "np.ones", "np.ones_like", "np.array", "np.empty", "np.full")


def dtype(node, site):
    if call_name(node) in NUMPY_CONSTRUCTORS:
        kept = [k for k in node.keywords if k.arg != "dtype"]
        for name, value in (("dtype_int", "int"), ("dtype_float32", "np.float32")):
            yield "dtype", name, with_(node, keywords=kept + [ast.keyword("dtype", ast.parse(value, mode="eval").body)])


def delete(node, site):
    if isinstance(node, (ast.Assign, ast.AugAssign)) or isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "delete", "delete_statement", ast.Pass()


NAME_GROUPS = (
    ("x", "h", "x_t", "h_prev"),
    ("z", "i", "o"),
    ("dh", "dc", "dc_next"),
    ("c", "h", "tanh_c"),
    ("input_size", "hidden_size", "output_size"),
    ("delta", "grad_a", "s"),
    ("e", "dh"),
)
ATTRIBUTE_GROUPS = (
    ("W", "R", "b"),
    ("dW", "dR", "db"),
    ("W_y", "b_y"),
    ("dW_y", "db_y"),
    ("h", "c"),
    ("y_hat", "y"),
    ("z", "i", "o"),
    ("dW_o", "dR_o", "db_o"),
)


def partners(name, groups):
    return sorted({p for group in groups if name in group for p in group if p != name})


def swap_name(node, site):
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in site.scope:
        for partner in (p for p in partners(node.id, NAME_GROUPS) if p in site.scope):
            yield "swap_name", "swap_name", ast.Name(partner, ast.Load())
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and ast.unparse(node.value) == "self":
        for partner in (p for p in partners(node.attr, ATTRIBUTE_GROUPS) if p in site.attributes):
            yield "swap_name", "swap_attribute", with_(node, attr=partner)


OPERATORS = (
    arith,
    compare,
    sign,
    constant,
    index,
    drop_term,
    drop_call,
    swap_args,
    aug,
    loop,
    dtype,
    delete,
    swap_name,
)


# ------------------------------------------------------------------------------------------------ the tree walk


@dataclass
class Site:
    parent: ast.AST
    field: str
    position: int | None  # index in the parent's list field
    scope: frozenset  # names bound in the enclosing function
    attributes: frozenset  # attributes of self the cell mentions
    where: str  # the enclosing function ("Gate.forward", "backward") or "module"
    origin: int  # the line its `def` is on (0 for the module), which ids count lines from
    in_slice: bool = False
    in_return: bool = False


def bound_names(function):
    names = {a.arg for a in function.args.args + function.args.kwonlyargs}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return frozenset(names)


def is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def sites(node, site):
    """(node, Site) for every node worth mutating, in source order; f-strings and docstrings are left alone."""
    if isinstance(node, (ast.JoinedStr, ast.arg, ast.arguments)) or is_docstring(node):
        return
    if hasattr(node, "lineno"):
        yield node, site
    scope, where, origin = site.scope, site.where, site.origin
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        where, origin = (f"{where}.{node.name}" if where != "module" else node.name), node.lineno
        scope = bound_names(node) if isinstance(node, ast.FunctionDef) else scope
    for name, value in ast.iter_fields(node):
        for k, child in enumerate(value) if isinstance(value, list) else [(None, value)]:
            if isinstance(child, ast.AST):
                returned = isinstance(node, ast.Return) or isinstance(node, ast.Tuple) and site.in_return
                yield from sites(
                    child,
                    Site(
                        node, name, k, scope, site.attributes, where, origin, site.in_slice or name == "slice", returned
                    ),
                )


def replace(parent, field, position, new):
    """Put `new` in the parent's field; returns the node that was there."""
    if position is None:
        old = getattr(parent, field)
        setattr(parent, field, new)
    else:
        old = getattr(parent, field)[position]
        getattr(parent, field)[position] = new
    return old


def splice(source, node, text):
    """The source with the node's span replaced by text (ast's columns count UTF-8 bytes)."""
    data = source.encode()
    starts = [0] + [m.end() for m in re.finditer(b"\n", data)]
    start, end = starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset
    return (data[:start] + text.encode() + data[end:]).decode()


def mutated_source(source, tree, node, site, new):
    """The cell's source with `node` replaced by `new`, checked to parse to exactly that tree."""
    ast.fix_missing_locations(ast.copy_location(new, node))
    replace(site.parent, site.field, site.position, new)
    want = ast.dump(tree)
    replace(site.parent, site.field, site.position, node)
    text = ast.unparse(new)
    for candidate in (text, f"({text})"):
        try:
            result = splice(source, node, candidate)
            if ast.dump(ast.parse(result)) == want:
                return result
        except SyntaxError:
            pass
    raise AssertionError(f"cannot splice {text!r} for {ast.unparse(node)!r}")


def changed_lines(old, new, line, node):
    """The mutated statement's lines before and after, each joined into one line."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    last = node.end_lineno + len(new_lines) - len(old_lines)
    join = lambda lines: " / ".join(part.strip() for part in lines)  # noqa: E731
    return join(old_lines[line - 1 : node.end_lineno]), join(new_lines[line - 1 : max(last, line)])


def cell_mutants(cell):
    exercise, _ = tags(cell)
    tree = ast.parse(cell.source)
    attributes = frozenset(
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
    )
    counts, seen = {}, {cell.source}
    for node, site in list(sites(tree, Site(None, None, None, frozenset(), attributes, "module", 0))):
        for operator in OPERATORS:
            for family, name, new in operator(node, site):
                source = mutated_source(cell.source, tree, node, site, new)
                if source in seen:  # two operators that make the same text: keep the first
                    continue
                seen.add(source)
                place = f"{cell.id}:{site.where}:L{node.lineno - site.origin}:{name}"
                counts[place] = counts.get(place, -1) + 1
                before, after = changed_lines(cell.source, source, node.lineno, node)
                yield Mutant(f"{place}:{counts[place]}", cell.id, exercise, family, node.lineno, before, after, source)


def generate(nb=None):
    """Every mutant of the solution's graded code cells, in notebook and source order."""
    return [m for cell in mutated_cells(nb or solution()) for m in cell_mutants(cell)]


# ------------------------------------------------------------------------------------------------ equivalence

TOLERANCE = 1e-12
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


def lstm_scenario(ns, p, out):
    rng = np.random.default_rng(p["seed"])
    np.random.seed(p["seed"])
    model = ns["LSTM"](p["D"], p["I"])
    out("lstm.init", read(model, LSTM_PARAMS + tuple(map(grad_name, LSTM_PARAMS))))
    write(model, draw_params(rng, LSTM_PARAMS, p))
    xs, ys = sequences(rng, p)
    model.zero_grad()
    for x, y in zip(xs, ys):
        out("lstm.loss", model.forward(x, y))
        model.backward()
    out("lstm.grads", read(model, map(grad_name, LSTM_PARAMS)))
    out("lstm.state_reset", model.forward(xs[0], ys[0]))
    model.update(ETA)
    out("lstm.update", read(model, LSTM_PARAMS))
    model.zero_grad()
    out("lstm.zero_grad", read(model, map(grad_name, LSTM_PARAMS)))


def rtrl_scenario(ns, p, out):
    rng = np.random.default_rng(p["seed"])
    np.random.seed(p["seed"])
    model = ns["LSTM_RTRL"](p["D"], p["I"])
    out("rtrl.init", read(model, RTRL_PARAMS + tuple(map(grad_name, RTRL_PARAMS))))
    write(model, draw_params(rng, RTRL_PARAMS, p))
    xs, ys = sequences(rng, p)
    model.zero_grad()
    for x, y in zip(xs, ys):
        model.reset()
        out("rtrl.outputs", [model.forward(x_t, y if t == len(x) - 1 else None) for t, x_t in enumerate(x)])
    out("rtrl.grads", read(model, map(grad_name, RTRL_PARAMS)))
    model.zero_grad()
    model.reset()
    out("rtrl.outputs_every_step_targets", [model.forward(x_t, ys[0]) for x_t in xs[0]])
    out("rtrl.grads_every_step_targets", read(model, map(grad_name, RTRL_PARAMS)))
    model.update(ETA)
    out("rtrl.update", read(model, RTRL_PARAMS))
    model.zero_grad()
    out("rtrl.zero_grad", read(model, map(grad_name, RTRL_PARAMS)))


def data_scenario(ns, p, out):
    np.random.seed(p["seed"])
    source = ns["generate_data"](p["T"])
    out("data.is_generator", inspect.isgenerator(source))
    out("data.samples", [next(source) for _ in range(40)])


SCENARIOS = {
    "gate": (gate_scenario, PROBLEMS),
    "lstm": (lstm_scenario, PROBLEMS),
    "rtrl": (rtrl_scenario, PROBLEMS),
    "data": (data_scenario, DATA_PROBLEMS),
}


def describe(p):
    return " ".join(f"{k}={v}" for k, v in p.items() if k != "activation" or v != "tanh")


def same(a, b):
    """Equal to TOLERANCE relative to the larger magnitude, same shapes, finite; recursively through containers."""
    if isinstance(a, (list, tuple, dict)) or isinstance(b, (list, tuple, dict)):
        if type(a) is not type(b) and not {type(a), type(b)} <= {list, tuple} or len(a) != len(b):
            return False
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return all(same(x, y) for x, y in zip(a, b))
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    return bool(np.abs(a - b).max(initial=0.0) <= TOLERANCE * scale)


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


def compare(want, got):
    differ, seen = {}, {}
    for key, entries in want.items():
        problem = describe(SCENARIOS[key[0]][1][key[1]])
        for k, (what, value) in enumerate(entries):
            seen[what] = seen.get(what, 0) + 1
            if k < len(got[key]) and got[key][k][0] == what and same(value, got[key][k][1]):
                continue
            if k >= len(got[key]) or got[key][k][0].endswith(".raised"):
                message = got[key][-1][1] if got[key] and got[key][-1][0].endswith(".raised") else "nothing"
                differ.setdefault(what, []).append(f"{problem}: raised {message}")
                break
            differ.setdefault(what, []).append(problem)
    return tuple(
        f"{what} differs in {len(problems)}/{seen[what]} comparisons, first on {problems[0]}"
        for what, problems in differ.items()
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
    return Verdict(not differs, differs)
