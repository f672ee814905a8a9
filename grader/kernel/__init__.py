"""What runs inside the student's kernel, and the installer that ships it there.

The kernel-side code is real modules of this package (codec, channel, adapter, scenarios, and the assignment's
table as `table`), tested like any other. The installer sends their source into the kernel before any student code
runs, as the package `_grader_<token>`: modules of their own, with their own copy of the builtins, outside the
notebook's namespace (so `%reset`, `del` or `len = 3` in a notebook cannot reach them). The grading process then
calls scenarios through the channel (`grader.execute.KernelSession.call`) and reads the answers with the codec.
"""

from pathlib import Path

import reference.assignment

HERE = Path(__file__).resolve().parent
SHIPPED = {  # module -> its file, in import order: each module imports only those above it
    "codec": HERE / "codec.py",
    "table": Path(reference.assignment.__file__),
    "channel": HERE / "channel.py",
    "places": HERE / "places.py",
    "calls": HERE / "calls.py",
    "adapter": HERE / "adapter.py",
    "scenarios": HERE / "scenarios.py",
    "magics": HERE / "magics.py",
}
SOURCES = {name: path.read_text() for name, path in SHIPPED.items()}


def package_name(token):
    """The kernel package of one grading session."""
    return f"_grader_{token}"


def mime_type(token):
    """The MIME type of the session's answers: nobody without the token can address the grader."""
    return f"application/x-grader-{token}+json"


def installer(token, output_chars):
    """The source of the kernel cell that installs the package and opens the channel. It runs in a namespace of its
    own, so it leaves no names in the notebook's."""
    return f"""
import builtins, sys, types
package = types.ModuleType({package_name(token)!r})
package.__path__ = []
sys.modules[package.__name__] = package
for name, source in {SOURCES!r}.items():
    module = types.ModuleType(package.__name__ + "." + name)
    module.__package__ = package.__name__
    module.__builtins__ = dict(vars(builtins))
    sys.modules[module.__name__] = module
    setattr(package, name, module)
    exec(compile(source, "grader/kernel/" + name + ".py", "exec"), module.__dict__)
package.channel.start({mime_type(token)!r}, {output_chars!r})
package.magics.install()
"""
