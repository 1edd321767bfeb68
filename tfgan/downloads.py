"""Fail fast when a download's host cannot be reached.

tensorflow-datasets and Keras retry a failed download for minutes (3 min 34 s measured for
MNIST offline) before giving up with a connection error that does not say what to do. Every
tfgan download path first asks `unreachable(host)`, which answers within `timeout` seconds,
and, when the host is out of reach, raises its own error naming the offline way.
"""

import os
import socket
import threading

# The hosts tfgan's download paths fetch from.
TFDS_HOSTS = {"mnist": "storage.googleapis.com",
              "fashion_mnist": "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
              "cifar10": "www.cs.toronto.edu", "celeb_a": "drive.google.com"}
KERAS_WEIGHTS_HOST = "storage.googleapis.com"


def unreachable(host, port=443, timeout=5.0):
  """None when a TCP connection to host:port opens within `timeout` seconds, else the reason
  (a failed name lookup, a refused or timed-out connection). Name resolution has no timeout of
  its own, so the attempt runs in a thread that is abandoned after `timeout`."""
  outcome = {}

  def attempt():
    try:
      socket.create_connection((host, port), timeout=timeout).close()
      outcome["ok"] = True
    except OSError as e:
      outcome["error"] = f"{type(e).__name__}: {e}"

  thread = threading.Thread(target=attempt, daemon=True)
  thread.start()
  thread.join(timeout)
  if outcome.get("ok"):
    return None
  return outcome.get("error", f"no answer within {timeout:g} s")


def keras_cached(name):
  """Where keras.utils.get_file keeps downloaded model weights `name`: $KERAS_HOME/models,
  else ~/.keras/models."""
  return os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"),
                                                                   ".keras"), "models", name)
