"""Run the development processes of `make run` together and stop them all on Ctrl-C, exiting 0.

The processes get a process group of their own that owns the terminal, so Ctrl-C reaches them and not make
(which would otherwise report "wait: No child processes" and exit 2).
Usage: python config/foreground.py "command one" "command two" ...  (each a command line, split as a shell would)
"""

import contextlib
import os
import shlex
import signal
import subprocess
import sys


def main(commands: list[str]) -> int:
    os.setpgid(0, 0)
    terminal, previous = None, None
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        previous = os.tcgetpgrp(terminal)
        os.tcsetpgrp(terminal, os.getpgrp())
    except OSError:
        terminal = None
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    # Not through a shell: terminate() must reach the process itself (a shell would leave it running).
    children = [subprocess.Popen(shlex.split(command)) for command in commands]
    try:
        while not stopping and all(child.poll() is None for child in children):
            signal.sigtimedwait([signal.SIGCHLD], 0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if terminal is not None and previous is not None:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(terminal, previous)
    print("Stopped web, worker and beat.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
