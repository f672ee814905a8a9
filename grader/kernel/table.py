"""The assignment's table, reference/assignment.py, under the name the kernel-side modules import it by.

In the grading process this re-exports the table; in the student's kernel, where no project package is importable,
the installer ships reference/assignment.py's own source as this module. Either way, one table.
"""

from reference.assignment import *  # noqa: F403
