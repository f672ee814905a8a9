"""Kernel side of the grader's channel: how answers leave the student's kernel, apart from anything it prints.

Runs inside the kernel only, started by the installer before any student code. Answers are display data of a MIME
type that carries the session's random token, sent with IPython's display publisher as bound here; the grader reads
only that MIME type, and only the answer carrying the nonce of the call it made. `start` also pins the kernel's
message packer to the pristine json.dumps (a notebook's `json.dumps = ...` would otherwise garble every message) and
caps the stdout/stderr text forwarded per execution (a flood of prints costs neither process much).
"""
import sys

from IPython import get_ipython
from jupyter_client import session as jupyter_session

from . import codec

_dumps, _loads = codec._dumps, codec._loads
_json_default, _json_clean = jupyter_session.json_default, jupyter_session.json_clean
_shell = get_ipython()
_publish = _shell.display_pub.publish
_state = {"mime": None, "output_chars": 0}
_forwarded = {}  # execution (parent msg_id) -> characters of stdout/stderr sent so far


def start(mime, output_chars):
    """Open the channel for one grading session: its token-bearing MIME type, the packer, the output cap."""
    _state.update(mime=mime, output_chars=output_chars)
    _shell.kernel.session.pack, _shell.kernel.session.unpack = _pack, _unpack
    for stream in (sys.stdout, sys.stderr):  # hooks are per thread: they must be registered on the IOPub thread
        stream.pub_thread.schedule(lambda stream=stream: stream.register_hook(_trim))


def user_namespace():
    """The notebook's namespace, where the student's classes live."""
    return _shell.user_ns


def _pack(obj):
    """jupyter_client's json_packer, bound to the pristine json.dumps."""
    try:
        text = _dumps(obj, default=_json_default, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = _dumps(_json_clean(obj), default=_json_default, ensure_ascii=False, allow_nan=False)
    return text.encode("utf8", errors="surrogateescape")


def _unpack(data):
    return _loads(data.decode("utf8", "replace") if isinstance(data, bytes) else data)


def _trim(msg):
    """IOPub-thread hook: forward at most output_chars + 1 characters of stdout/stderr per execution (one more than
    the grader keeps, so that it notes the truncation). The grader's own cap does not rely on it."""
    key = msg["parent_header"].get("msg_id")
    sent = _forwarded.get(key, 0)
    text = msg["content"]["text"][: max(0, _state["output_chars"] + 1 - sent)]
    _forwarded[key] = sent + len(text)
    msg["content"]["text"] = text  # never None: that would make ipykernel drop other executions' text too
    return msg


def _describe(error):
    try:
        return str(error)[:500]
    except BaseException:
        return "<exception without a printable message>"


def send(message):
    """Publish a dict of arrays, numbers, strings, None and lists of those on the grader's channel."""
    _publish({_state["mime"]: codec.dumps(message)}, {})


def call(code, nonce):
    """Run grader code (it sets `result`) on a copy of the student's namespace; always answer exactly once."""
    try:
        scope = dict(_shell.user_ns)
        exec(code, scope)
        message = {"ok": True, "result": codec.encode(scope.get("result"))}  # missing: the grader's mistake
    except BaseException as error:
        message = {"ok": False, "ename": type(error).__name__, "evalue": _describe(error)}
    send({"nonce": nonce, **message})
