"""The demo's model process: TensorFlow, the runs' networks and every model call, beside the
page's process (Gradio, the HTTP server).

Why two processes: on the 2-core CPU, importing TensorFlow (~6 s) and Gradio (~5 s) one
after the other made `python -m tfgan.demo` answer 12 s after launch; threads do not overlap
them (imports hold the interpreter lock). Started first, this process imports TensorFlow and
loads the runs while the page's process imports Gradio, on the other core.

The model process is `python -m tfgan.demo.worker` (a fresh interpreter: nothing of the
caller's main script runs again, and TensorFlow's start-up notices are hidden as in every
tfgan command line), connected by a socket pair over which multiprocessing's Connection
sends pickles.

Protocol (the page's side is `Worker`): the page sends (workdirs, scratch folder); the model
process checks every --workdir (DemoError: ("refused", message), then it exits), then sends
one ("run", View fields) per run as soon as that run is loaded and its tab's facts computed,
then ("done", None). It then answers each (api, module, function, args) with ("ok", fn(run,
*args)), ("refused", message) for InputError / ValueError (the page shows it), or ("failed",
message) with the traceback written to its stderr. Calls are one at a time (a lock; the
page's queue already runs one model call at a time). It writes its answers' files into the
page's scratch folder, which the page serves and removes at exit.
"""

import importlib
import os
import threading
import traceback
from typing import Iterator, Sequence

from tfgan.demo import scratch
from tfgan.demo.runs import DemoError, InputError, View


class WorkerError(RuntimeError):
  """The model process failed a call or stopped; the message says which."""


class Worker:
  """The page's handle on the model process, started at construction.

  workdirs: the --workdir values (checked there). verbose: TensorFlow's start-up notices
  shown (the CLI's --verbosity)."""

  def __init__(self, workdirs: Sequence[str], verbose: bool = False):
    import socket
    import subprocess
    import sys
    from multiprocessing.connection import Connection
    ours, theirs = socket.socketpair()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    self._process = subprocess.Popen(
        [sys.executable, "-m", "tfgan.demo.worker", str(theirs.fileno())]
        + (["--verbose"] if verbose else []), pass_fds=[theirs.fileno()], env=env)
    theirs.close()
    self._conn = Connection(ours.detach())
    self._lock = threading.Lock()
    self._conn.send((list(workdirs), scratch.root()))

  def _receive(self):
    try:
      return self._conn.recv()
    except (EOFError, OSError):
      try:
        code = self._process.wait(timeout=5)
      except Exception:  # noqa: BLE001  still running: the socket broke
        code = None
      raise WorkerError(f"the demo's model process stopped (exit code {code}); its error is "
                        f"in the log above. Restart the demo.") from None

  def views(self) -> Iterator[View]:
    """Each run's View, as the model process has it loaded (in --workdir order). Raises
    DemoError naming the --workdir it cannot serve, or when the process stopped."""
    while True:
      try:
        kind, value = self._receive()
      except WorkerError as e:
        raise DemoError(str(e)) from None
      if kind == "done":
        return
      if kind == "refused":
        raise DemoError(value)
      yield View(**value, caller=self.call)

  def call(self, api: str, fn, *args):
    """fn(run `api`, *args) in the model process. Raises InputError (a refused input, the
    page's message) or WorkerError."""
    if "<locals>" in fn.__qualname__:
      raise TypeError(f"{fn.__qualname__}: the model process calls module-level functions.")
    with self._lock:
      try:
        self._conn.send((api, fn.__module__, fn.__qualname__, args))
      except (OSError, ValueError):
        pass  # the process is gone: _receive says so
      kind, value = self._receive()
    if kind == "ok":
      return value
    if kind == "refused":
      raise InputError(value)
    raise WorkerError(value)

  def close(self):
    """Stops the model process (asks, then terminates it after 5 s)."""
    with self._lock:
      try:
        self._conn.send(None)
      except (OSError, ValueError):
        pass
      try:
        self._process.wait(timeout=5)
      except Exception:  # noqa: BLE001  subprocess.TimeoutExpired
        self._process.terminate()
        self._process.wait()
      self._conn.close()


def _serve(conn, verbose=False):
  """The model process's main: load, describe, answer (see the module docstring)."""
  import signal
  signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the page, which stops this
  workdirs, root = conn.recv()
  scratch.adopt(root)
  from tfgan import quiet
  quiet.import_tensorflow(verbose=verbose)
  from tfgan import networks  # noqa: F401  registers the Keras classes the exports use
  from tfgan.demo import runs as runs_lib
  try:
    checked = runs_lib.open_runs(workdirs, load=False)
  except DemoError as e:
    conn.send(("refused", str(e)))
    return
  loaded = {}
  for run in checked:
    try:
      runs_lib.load_generators(run)
    except Exception as e:  # noqa: BLE001  a damaged .keras file: named at launch
      conn.send(("refused", f"--workdir={run.workdir}: its exports do not load "
                            f"({type(e).__name__}: {str(e)[:300]})."))
      return
    loaded[run.api] = run
    conn.send(("run", runs_lib.view_fields(run)))
  conn.send(("done", None))
  while True:
    try:
      message = conn.recv()
    except (EOFError, OSError):
      return
    if message is None:
      return
    api, module, name, args = message
    try:
      fn = getattr(importlib.import_module(module), name)
      answer = ("ok", fn(loaded[api], *args))
    except (InputError, ValueError) as e:
      answer = ("refused", str(e))
    except Exception as e:  # noqa: BLE001  the page shows a message; the log the traceback
      traceback.print_exc()
      answer = ("failed", f"{type(e).__name__}: {e}")
    conn.send(answer)


if __name__ == "__main__":
  import sys
  from multiprocessing.connection import Connection
  _serve(Connection(int(sys.argv[1])), verbose="--verbose" in sys.argv[2:])
