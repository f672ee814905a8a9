"""Kernel side: the magics and shell commands that notebooks from Colab, VS Code or a desktop Jupyter carry, made
harmless where grading runs, so that a cell does not fail (and leave its imports undone) for what the grader does
anyway or never does.

- `%matplotlib` with any backend (widget, qt, tk, notebook, or none named, which means a window) selects inline:
  no window can open in a grading kernel, and the figures are not graded.
- `%pip`, `%conda`, `%mamba`, `%micromamba`, `%uv`, and `!pip install ...` (or conda, mamba, uv, `python -m pip`)
  install nothing and say so in one line: a notebook is graded with the grader's own packages, and must not change
  them for the notebooks graded after it.
"""

import re

from IPython import get_ipython

INSTALLERS = ("pip", "conda", "mamba", "micromamba", "uv")
INSTALL_COMMAND = re.compile(r"\b(pip3?|conda|mamba|micromamba|uv)\b.*\binstall\b")
SKIPPED = "The grader installs no packages: `{}` was skipped; your notebook is graded with the grader's own packages."


def install():
    """Replace the magics and wrap the shell's `!` commands; runs before any student code."""
    shell = get_ipython()
    matplotlib = shell.find_line_magic("matplotlib")
    shell.register_magic_function(lambda line: matplotlib("inline"), "line", "matplotlib")
    for name in INSTALLERS:
        shell.register_magic_function(lambda line, name=name: print(SKIPPED.format(f"%{name} {line}")), "line", name)
    system = shell.system

    def guarded_system(command):
        if INSTALL_COMMAND.search(command):
            print(SKIPPED.format(f"!{command}"))
            return None
        return system(command)

    shell.system = guarded_system
