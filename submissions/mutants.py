"""Mutants of the solution notebook's graded code (mutation testing).

A mutant is reference/solution.ipynb with one small change in one `code`-role cell of exercises 2, 4, 5, 6, 7, 9
or 10 (the classes and generate_data; the `experiment` cells are out of scope). `generate()` makes them all, each
with a stable id `<cell id>:<function>:L<line>:<operator>:<k>` (the line counted from the function's `def`, so that
reordering functions keeps the ids; k counts that operator on that line) and the line before and after.
Whether a mutant behaves exactly as the solution is submissions/equivalence.py's question; the operators are in
submissions/mutation_operators.py.

Tree tool: the standard library's `ast`. Each operator builds a replacement node for one node of the cell's tree;
the mutant's source is the cell's text with only that node's span replaced by `ast.unparse` of the replacement
(parenthesised only where precedence needs it), so comments and formatting elsewhere stay as handed in. Every
mutant is verified: its source parses to exactly the tree with that one node replaced. libcst would keep the
formatting of the replacement too, but that is cosmetic here and not worth a dependency and a second tree model;
mutmut and cosmic-ray mutate files for a test suite they run themselves and lack the operators wanted here
(truncated loops, dtypes, dropped calls, swapped variables), so only their classic operator families are borrowed.
"""

import ast
import copy
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
from mutation_operators import FAMILIES, OPERATORS  # noqa: F401 (FAMILIES: the families a mutant can be of)

SOLUTION = Path(__file__).resolve().parents[1] / "reference" / "solution.ipynb"  # or $MUTANTS_SOLUTION
MUTATED_EXERCISES = (2, 4, 5, 6, 7, 9, 10)


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
