"""Issue 15 (one-line errors): SIGTERM while `ccp materialize` lands is one line and exit 143, never DuckDB's
"Query interrupted" traceback; the next `ccp materialize` finishes (landing commits one source at a time).

The signal is sent once the landing zone exists (evidence, not a sleep).
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.helpers import CCP, ccp

pytestmark = pytest.mark.slow


def test_sigterm_while_landing_is_one_line_and_the_next_run_finishes(ccp_env, claude_fixture):
    proc = subprocess.Popen([str(CCP), "materialize"], env=ccp_env.env, cwd=ccp_env.env["HOME"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (ccp_env.ccp_home / "landing").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "Query interrupted" not in err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("landed ")]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by SIGTERM"), err
    assert "up to date" not in ccp(ccp_env.env, "materialize").stderr
