"""cosmic-ray's test command: ``python -S _ask.py SOCKET PYTEST-ARGS...``: asks the fork server
(``_forkserver.py``) for one pytest run in the current directory, prints its output, and exits
with its exit code. Run with ``-S`` and importing only the standard library, so it starts in
milliseconds."""

import json
import os
import socket
import sys


def main() -> int:
    path, args = sys.argv[1], sys.argv[2:]
    env = {k: v for k, v in os.environ.items() if k.startswith(("PYTHON", "MEETBOT_", "RUNTIME__"))}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        request = {"args": args, "cwd": os.getcwd(), "env": env}
        connection.sendall(json.dumps(request).encode() + b"\n")  # and stays open: the
        # server takes its closing (this process killed at cosmic-ray's timeout) as "stop"
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status, _, output = answer.partition(b"\n")
    sys.stdout.buffer.write(output)
    return int(status) if status else 1


if __name__ == "__main__":
    sys.exit(main())
