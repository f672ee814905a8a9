"""Named ways grading can fail, each able to say in one sentence what a student should do.

Every exception keeps its constructor arguments in ``args`` (via ``super().__init__``), so they pickle
and can cross process boundaries unchanged. A ``what`` argument describes what the grader was doing, as a
phrase that completes "while the grader was ...": "running LSTM.forward", "training your network".
"""

from __future__ import annotations


def one_line(text: str, limit: int = 300) -> str:
    """``text`` with all whitespace runs made single spaces, shortened: messages must stay one sentence."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def excerpt(source: str, limit: int = 60) -> str:
    """First non-blank line of ``source``, shortened, for pointing a student at a piece of code."""
    return one_line(next((line for line in source.splitlines() if line.strip()), ""), limit)


class GradingError(Exception):
    """Base class: something in the submission kept the grader from checking it."""

    def sentence(self) -> str:
        """One plain sentence for the student: what is wrong and what to do."""
        return "The grader could not check this part of your notebook."

    def __str__(self) -> str:
        return self.sentence()


class NotANotebook(GradingError):
    """The submitted file is not a readable Jupyter notebook."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path, self.reason = path, reason

    def sentence(self) -> str:
        return (
            f"The file {self.path} could not be read as a Jupyter notebook ({self.reason}); "
            "submit the .ipynb file saved from Jupyter."
        )


class KernelDied(GradingError):
    """Python itself stopped during a grader's call (os._exit, a crash in native code, memory exhaustion), or ignored
    the interrupt after a timeout. ``recovered``: the grader replayed the notebook in a new kernel for what follows."""

    def __init__(self, what: str, recovered: bool) -> None:
        super().__init__(what, recovered)
        self.what, self.recovered = what, recovered

    def sentence(self) -> str:
        then = ("the grader started it again and re-ran your notebook for the checks that follow"
                if self.recovered else "so the grader could not go on with your code")
        return (
            f"Python stopped while the grader was {self.what}, {then}; look for os._exit/exit calls, crashes in "
            "native code, very large memory use, or an endless loop that swallows KeyboardInterrupt."
        )


class CallTimeout(GradingError):
    """Student code called by the grader did not finish in time."""

    def __init__(self, seconds: float, what: str) -> None:
        super().__init__(seconds, what)
        self.seconds, self.what = seconds, what

    def sentence(self) -> str:
        return (
            f"Your code did not finish within {self.seconds:g} s while the grader was {self.what}; "
            "look for an endless loop or a much slower computation than needed."
        )


class StudentCodeError(GradingError):
    """Student code raised an exception while the grader was calling it."""

    def __init__(self, ename: str, evalue: str, what: str) -> None:
        super().__init__(ename, evalue, what)
        self.ename, self.evalue, self.what = ename, evalue, what

    def sentence(self) -> str:
        message = one_line(f"{self.ename}: {self.evalue}" if self.evalue else self.ename)
        return f"Your code raised {message} while the grader was {self.what}; fix it and run your notebook again."


class NoResult(GradingError):
    """A call into the kernel finished but sent back nothing the grader could read."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what

    def sentence(self) -> str:
        return (
            f"The grader got no readable result while it was {self.what}; make sure your notebook does not "
            "replace or redirect Python, IPython or numpy machinery (display, json, numpy functions)."
        )
