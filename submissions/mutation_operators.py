"""The mutation operators of submissions/mutants.py: each takes a node of a cell's syntax tree (and its Site, the
place in the tree) and yields (family, operator name, replacement node)."""

import ast
import copy

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
