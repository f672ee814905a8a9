"""Named ways grading can fail, each able to say in one sentence what a student should do.

Callers switch on the types; students read ``sentence()``. A ``what`` field describes what the grader was doing,
as a phrase that completes "while the grader was ...": "running LSTM.forward", "training your network".
"""

from __future__ import annotations

from dataclasses import dataclass, fields


def one_line(text: str, limit: int = 300) -> str:
    """``text`` with all whitespace runs made single spaces, shortened: messages must stay one sentence."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def excerpt(source: str, limit: int = 60) -> str:
    """First non-blank line of ``source``, shortened, for pointing a student at a piece of code."""
    return one_line(next((line for line in source.splitlines() if line.strip()), ""), limit)


@dataclass(eq=False)
class GradingError(Exception):
    """Base class: something in the submission kept the grader from checking it. Each kind is a dataclass whose fields
    are what a person needs to see, and whose `template` makes of them one plain sentence for the student: what is
    wrong and what to do. They pickle, so errors cross process boundaries unchanged."""

    template = "The grader could not check this part of your notebook."

    def sentence(self) -> str:
        return self.template.format(**{f.name: getattr(self, f.name) for f in fields(self)}, **self.wording())

    def wording(self) -> dict:
        """Pieces of the sentence that depend on the fields (none by default)."""
        return {}

    def __str__(self) -> str:
        return self.sentence()

    def __reduce__(self):
        return type(self), tuple(getattr(self, f.name) for f in fields(self))


@dataclass(eq=False)
class NotANotebook(GradingError):
    """The submitted file is not a readable Jupyter notebook."""

    path: str
    reason: str
    template = (
        "The file {path} could not be read as a Jupyter notebook ({reason}); submit the .ipynb file saved from Jupyter."
    )


@dataclass(eq=False)
class KernelDied(GradingError):
    """Python itself stopped during a grader's call (os._exit, a crash in native code, memory exhaustion), or ignored
    the interrupt after a timeout. ``recovered``: the grader replayed the notebook in a new kernel for what follows."""

    what: str
    recovered: bool
    template = (
        "Python stopped while the grader was {what}, {then}; look for os._exit/exit calls, crashes in native "
        "code, very large memory use, or an endless loop that swallows KeyboardInterrupt."
    )

    def wording(self) -> dict:
        return {
            "then": "the grader started it again and re-ran your notebook for the checks that follow"
            if self.recovered
            else "so the grader could not go on with your code"
        }


@dataclass(eq=False)
class CallTimeout(GradingError):
    """Student code called by the grader did not finish in time."""

    seconds: float
    what: str
    template = (
        "Your code did not finish within {seconds:g} s while the grader was {what}; look for an endless loop "
        "or a much slower computation than needed."
    )


@dataclass(eq=False)
class StudentCodeError(GradingError):
    """Student code raised an exception while the grader was calling it."""

    ename: str
    evalue: str
    what: str
    template = "Your code raised {message} while the grader was {what}; fix it and run your notebook again."

    def wording(self) -> dict:
        return {"message": one_line(f"{self.ename}: {self.evalue}" if self.evalue else self.ename)}


@dataclass(eq=False)
class NoResult(GradingError):
    """A call into the kernel finished but sent back nothing the grader could read."""

    what: str
    template = (
        "The grader got no readable result while it was {what}; make sure your notebook does not replace or "
        "redirect Python, IPython or numpy machinery (display, json, numpy functions)."
    )


@dataclass(eq=False)
class KernelStartFailed(GradingError):
    """The grader could not start a kernel for the notebook: the grader's environment, never the notebook's fault."""

    reason: str
    template = (
        "The grader could not start Python for your notebook ({reason}); this is a problem of the grader, not "
        "of your notebook: tell your instructor."
    )
