"""The one way tfgan writes a file: to a temporary name beside it, then an atomic rename.

A crash, a full disk or a Ctrl-C mid-write therefore leaves either the previous file or the
new one, never half of one. Writers that need a path of their own (Keras `save`, numpy
`savez`, a SavedModel directory) write inside `atomic_path`. JSON-lines rows are appended with
one `write` on an O_APPEND descriptor, which POSIX keeps whole on a local filesystem.
"""

import contextlib
import os
import shutil
from typing import Iterator, Union


def cache_dir() -> str:
  """Where tfgan keeps what it can make again (classifiers, real-data statistics, downloaded
  datasets): $TFGAN_CACHE_DIR, else ~/.cache/tfgan."""
  return os.environ.get("TFGAN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                           "tfgan")


def _temp_name(final: str) -> str:
  # Same directory (a rename across filesystems is not atomic), hidden, extension kept
  # (Keras insists on .keras, numpy appends .npz to other names), unique per process.
  folder, base = os.path.split(os.path.abspath(final))
  stem, ext = os.path.splitext(base)
  return os.path.join(folder, f".{stem}.tmp{os.getpid()}{ext}")


def _remove(path: str) -> None:
  if os.path.isdir(path) and not os.path.islink(path):
    shutil.rmtree(path, ignore_errors=True)
  elif os.path.lexists(path):
    os.remove(path)


def previous_name(final: str) -> str:
  """Where `replace` keeps the directory it replaces until the new one is in place."""
  folder, base = os.path.split(os.path.abspath(final))
  return os.path.join(folder, f".{base}.previous")


def replace(tmp: str, final: str) -> None:
  """Moves file or directory `tmp` to `final`. A file is replaced by one atomic rename. A
  directory cannot be: the one at `final` is first renamed to previous_name(final), then `tmp`
  takes its place, then the previous one is deleted; a crash between the two renames leaves it
  at previous_name(final), and `recover` puts it back."""
  if os.path.isdir(final) and not os.path.islink(final):
    previous = previous_name(final)
    _remove(previous)
    os.replace(final, previous)
    os.replace(tmp, final)
    _remove(previous)
  else:
    os.replace(tmp, final)
    if os.path.isdir(final):
      _remove(previous_name(final))  # a leftover of an earlier crash: superseded now


def recover(folder: str) -> list:
  """Puts back every directory of `folder` that a crash left only at its previous_name (the
  window inside `replace`); returns the paths restored."""
  restored = []
  if not os.path.isdir(folder):
    return restored
  for name in sorted(os.listdir(folder)):
    if name.startswith(".") and name.endswith(".previous"):
      final = os.path.join(folder, name[1:-len(".previous")])
      if not os.path.exists(final):
        os.replace(os.path.join(folder, name), final)
        restored.append(final)
  return restored


@contextlib.contextmanager
def atomic_path(final: str) -> Iterator[str]:
  """Yields a temporary path to write `final` to; on success it replaces `final`, on an
  exception it is removed and `final` is left as it was. The parent folder is created."""
  os.makedirs(os.path.dirname(os.path.abspath(final)), exist_ok=True)
  tmp = _temp_name(final)
  _remove(tmp)
  try:
    yield tmp
  except BaseException:
    _remove(tmp)
    raise
  replace(tmp, final)


def write(path: str, data: Union[str, bytes]) -> str:
  """Writes `data` (text as UTF-8) to `path` atomically, flushed to disk; returns `path`."""
  with atomic_path(path) as tmp:
    with open(tmp, "wb") as f:
      f.write(data.encode() if isinstance(data, str) else data)
      f.flush()
      os.fsync(f.fileno())
  return path


def append_line(path: str, line: str) -> None:
  """Appends one line (a newline is added) to `path` in a single write, creating it.

  A last line left without its newline (a crash mid-append) is ended first, so only that
  torn line is lost, never the row written after it.
  """
  data = (line.rstrip("\n") + "\n").encode()
  fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
  try:
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
      data = b"\n" + data
    os.write(fd, data)
  finally:
    os.close(fd)
