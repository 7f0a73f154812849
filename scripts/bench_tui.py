#!/usr/bin/env python3
"""Times what a person sees after typing a file name, by watching a real terminal (tmux).

  first-screen CMD...          seconds from launch until a log line of the file is on screen
  first-hit NEEDLE CMD...      seconds from launch until a search for NEEDLE shows a hit
                               (keys: `/`, the needle, Enter, as firewatch's TUI takes them;
                               a hit: the pane's title counts one)

Both tools are measured the same way: tmux polled every 5 ms, so a figure is accurate to
about 10 ms. Prints one number (seconds) or exits 1 with what the screen showed.
"""

import os
import re
import subprocess
import sys
import time

SESSION = "fwbench"
# A line of the generated file, whatever the tool draws around it (every line has a user id;
# a timestamp would also match the clock lnav draws on its top line).
LOG_LINE = re.compile(os.environ.get("BENCH_TUI_PATTERN", r"user_id=\d+"))
TIMEOUT_S = float(os.environ.get("BENCH_TUI_TIMEOUT", "60"))


def tmux(*args, check=True):
    # A server of its own (-L) with no user config (-f /dev/null): nothing the user runs is touched.
    cmd = ["tmux", "-L", SESSION, "-f", "/dev/null", *args]
    return subprocess.run(cmd, check=check, capture_output=True, text=True).stdout


def screen():
    return tmux("capture-pane", "-p", "-t", SESSION, check=False)


def launch(cmd):
    tmux("kill-session", "-t", SESSION, check=False)
    started = time.monotonic()
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50", " ".join(cmd))
    return started


def close():
    """Ends the session and waits for the tool to exit (firewatch commits what it indexed first)."""
    pid = tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}", check=False).strip()
    tmux("kill-session", "-t", SESSION, check=False)
    deadline = time.monotonic() + 60
    while pid.isdigit() and time.monotonic() < deadline:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def wait_for(pred, started, what):
    while time.monotonic() - started < TIMEOUT_S:
        text = screen()
        if pred(text):
            return time.monotonic() - started
        time.sleep(0.005)
    sys.stderr.write(f"bench_tui: no {what} after {TIMEOUT_S:.0f} s; the screen:\n{screen()}\n")
    tmux("kill-session", "-t", SESSION, check=False)
    sys.exit(1)


def first_screen(cmd):
    started = launch(cmd)
    secs = wait_for(lambda s: LOG_LINE.search(s) is not None, started, "log line")
    close()
    return secs


def first_hit(needle, cmd):
    started = launch(cmd)
    wait_for(lambda s: LOG_LINE.search(s) is not None, started, "first screen")
    tmux("send-keys", "-t", SESSION, "/")
    tmux("send-keys", "-t", SESSION, "-l", needle)
    tmux("send-keys", "-t", SESSION, "Enter")
    # The query shows in the pane's title with its count ("Logs: NEEDLE | 1 hits, ..."): a hit is a count above 0
    # there (a hit row shows the body without the attributes it was parsed into, so maybe not the needle).
    found = re.compile(re.escape(needle) + r".*\b[1-9]\d* hits?\b")
    secs = wait_for(lambda s: any(found.search(line) for line in s.splitlines()), started, "hit")
    close()
    return secs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mode = sys.argv[1]
    if mode == "first-screen":
        print(f"{first_screen(sys.argv[2:]):.3f}")
    elif mode == "first-hit" and len(sys.argv) >= 4:
        print(f"{first_hit(sys.argv[2], sys.argv[3:]):.3f}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
