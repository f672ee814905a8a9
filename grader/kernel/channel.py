"""Kernel side of the grader's channel: how answers leave the student's kernel, apart from anything it prints.

Runs inside the kernel only, started by the installer before any student code. Answers are display data of a MIME
type that carries the session's random token, sent with IPython's display publisher as bound here; the grader reads
only that MIME type, and only the answer carrying the nonce of the call it made. `start` also pins the kernel's
message packer to the pristine json.dumps (a notebook's `json.dumps = ...` would otherwise garble every message) and
caps the stdout/stderr text forwarded per execution (a flood of prints costs neither process much): the first
characters are sent as they come, the last ones when the execution ends, what lies between not at all.
"""

import sys

from IPython import get_ipython
from jupyter_client import session as jupyter_session

from . import codec

_dumps, _loads = codec._dumps, codec._loads
_json_default, _json_clean = jupyter_session.json_default, jupyter_session.json_clean
_shell = get_ipython()
_publish = _shell.display_pub.publish
_state = {"mime": None, "output_chars": 0, "releasing": False}
_streams = {"stdout": sys.stdout, "stderr": sys.stderr}  # the kernel's own, whatever a notebook assigns to sys.stdout
_forwarded = {}  # execution (parent msg_id) -> characters of stdout/stderr sent so far
_held = {}  # stream name -> the last characters past the cap, sent when the execution ends


def start(mime, output_chars):
    """Open the channel for one grading session: its token-bearing MIME type, the packer, the output cap."""
    _state.update(mime=mime, output_chars=output_chars)
    _shell.kernel.session.pack, _shell.kernel.session.unpack = _pack, _unpack
    for stream in _streams.values():  # hooks are per thread: they must be registered on the IOPub thread
        stream.pub_thread.schedule(lambda stream=stream: stream.register_hook(_trim))
    _shell.events.register("post_run_cell", _release)


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
    """IOPub-thread hook: forward the first output_chars + 1 characters of stdout/stderr per execution (one more than
    the grader keeps, so that it notes the truncation) and hold back the last output_chars of the rest, for _release.
    The grader's own cap does not rely on it."""
    if _state["releasing"]:
        return msg
    key, name, text = msg["parent_header"].get("msg_id"), msg["content"]["name"], msg["content"]["text"]
    sent = _forwarded.get(key, 0)
    room = max(0, _state["output_chars"] + 1 - sent)
    if len(text) > room:
        _held[name] = (_held.get(name, "") + text[room:])[-_state["output_chars"] :]
        text = text[:room]
    _forwarded[key] = sent + len(text)
    msg["content"]["text"] = text  # never None: that would make ipykernel drop other executions' text too
    return msg


def _release(result=None):
    """post_run_cell: send what the execution printed last past the cap, so that a final result survives a flood.
    Flushing first passes every pending write through _trim; only then is the held text complete."""
    for stream in _streams.values():
        stream.flush()
    for name in list(_held):
        text = _held.pop(name)
        _state["releasing"] = True
        try:
            _streams[name].write(text)
            _streams[name].flush()
        finally:
            _state["releasing"] = False


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
