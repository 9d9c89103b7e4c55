"""A real `dagster dev` (webserver + daemon) in its own process group, polled over HTTP and GraphQL.

The browser tests assert what the UI shows; GraphQL (/graphql, the API the UI itself uses) is for
waiting on runs and backfills and for the exact assertions where UI text would be brittle.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

LOCATION = "ccp_assets"
ACTIVE_RUN_STATUSES = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]
TERMINAL_RUN_STATUSES = {"SUCCESS", "FAILURE", "CANCELED"}
UNFINISHED_BACKFILL_STATUSES = {"REQUESTED", "CANCELING", "FAILING"}
POLL_S = 0.25  # one small GraphQL query: a finished run is seen within a quarter second (was 1 s, avg 0.5 s lost)

WORKSPACE_Q = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
AUTOMATION_Q = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
  sensors { name sensorState { status ticks(limit: 1) { status } } }
  schedules { name scheduleState { status } } } } } }"""
ACTIVE_RUNS_Q = """query($statuses: [RunStatus!]) { runsOrError(filter: {statuses: $statuses}) {
  ... on Runs { results { runId jobName status tags { key value } } } } }"""
RUN_Q = """query($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { runId jobName status
  tags { key value } } } }"""
RUN_FAILURE_Q = """query($runId: ID!) { logsForRun(runId: $runId, limit: 5000) { __typename
  ... on EventConnection { events { __typename message
    ... on ExecutionStepFailureEvent { stepKey error { message } }
    ... on RunFailureEvent { error { message } } } } } }"""
BACKFILL_Q = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions partitionNames
    runs { runId status tags { key value } } } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DagsterServer:
    """`cmd` (dagster dev or a script that execs it) started in a new session; `stop()` ends all of it."""

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path, log_path: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.cmd = cmd
        self.dagster_home = env["DAGSTER_HOME"]
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    # ---- talking to it -------------------------------------------------------------------------------

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def gql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        r = httpx.post(f"{self.base}/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout)
        r.raise_for_status()
        body = r.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def wait_ready(self, timeout: float = 150) -> None:
        """Until the webserver answers and the code location is loaded (a load error fails at once)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.cmd[0]} exited with {self.proc.returncode} before the UI answered:\n"
                                     f"{self.log_tail()}")
            try:
                entries = self.gql(WORKSPACE_Q, timeout=5)["workspaceOrError"]["locationEntries"]
            except (httpx.HTTPError, KeyError, TypeError, ValueError):
                entries = []
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                bad = [e for e in entries if e["locationOrLoadError"]["__typename"] != "RepositoryLocation"]
                assert not bad, f"code location did not load: {bad}"
                return
            assert time.monotonic() < deadline, f"the Dagster UI did not answer in {timeout}s:\n{self.log_tail()}"
            time.sleep(0.5)

    def automation(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """({sensor name: sensorState}, {schedule name: scheduleState}) of every repository."""
        nodes = self.gql(AUTOMATION_Q)["repositoriesOrError"]["nodes"]
        sensors = {s["name"]: s["sensorState"] for n in nodes for s in n["sensors"]}
        schedules = {s["name"]: s["scheduleState"] for n in nodes for s in n["schedules"]}
        return sensors, schedules

    def active_runs(self) -> list[dict[str, Any]]:
        return self.gql(ACTIVE_RUNS_Q, {"statuses": ACTIVE_RUN_STATUSES})["runsOrError"]["results"]

    def wait_idle(self, timeout: float = 180) -> None:
        """Until every running sensor has finished a first tick and no run is queued or in progress.

        The daemon's sensors fire on start (the ingest sensor sees the demo data as new bytes and starts a
        run over its days); the UI steps start from a quiet instance so their runs don't race those.
        """
        deadline = time.monotonic() + timeout
        while True:
            sensors, _ = self.automation()
            unticked = [name for name, st in sensors.items() if st["status"] == "RUNNING"
                        and (not st["ticks"] or st["ticks"][0]["status"] == "STARTED")]
            active = self.active_runs()
            if not unticked and not active:
                return
            assert time.monotonic() < deadline, (f"not idle after {timeout}s: sensors without a tick {unticked}, "
                                                 f"runs {active}\n{self.log_tail()}")
            time.sleep(2 * POLL_S)  # two queries a poll, while a run competes for the CPU

    def run(self, run_id: str) -> dict[str, Any]:
        r = self.gql(RUN_Q, {"runId": run_id})["runOrError"]
        assert r["__typename"] == "Run", f"no run {run_id}: {r}"
        return r

    def failure_summary(self, run_id: str) -> str:
        try:
            conn = self.gql(RUN_FAILURE_Q, {"runId": run_id})["logsForRun"]
        except (AssertionError, httpx.HTTPError) as exc:
            return f"(could not read the run's events: {exc})"
        events = conn.get("events") or []
        lines = [f"{e['__typename']} {e.get('stepKey') or ''}: {(e.get('error') or {}).get('message') or e['message']}"
                 for e in events if "Failure" in e["__typename"]]
        return "\n".join(lines[-10:]) or "(no failure events)"

    def wait_run(self, run_id: str, timeout: float = 240) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            r = self.run(run_id)
            if r["status"] in TERMINAL_RUN_STATUSES:
                return r
            assert time.monotonic() < deadline, f"run {run_id} still {r['status']} after {timeout}s:\n{self.log_tail()}"
            time.sleep(POLL_S)

    def wait_run_success(self, run_id: str, timeout: float = 240) -> dict[str, Any]:
        r = self.wait_run(run_id, timeout)
        assert r["status"] == "SUCCESS", f"run {run_id} ended {r['status']}:\n{self.failure_summary(run_id)}"
        return r

    def wait_backfill(self, backfill_id: str, timeout: float = 240) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            b = self.gql(BACKFILL_Q, {"id": backfill_id})["partitionBackfillOrError"]
            assert b["__typename"] == "PartitionBackfill", f"no backfill {backfill_id}: {b}"
            runs_done = all(r["status"] in TERMINAL_RUN_STATUSES for r in b["runs"])
            if b["status"] not in UNFINISHED_BACKFILL_STATUSES and runs_done:
                return b
            assert time.monotonic() < deadline, f"backfill {backfill_id} still {b['status']} after {timeout}s: {b}"
            time.sleep(POLL_S)

    # ---- ending it -----------------------------------------------------------------------------------

    def _leftovers(self) -> list[int]:
        """Live processes in our process group, or anywhere with our private DAGSTER_HOME (run workers)."""
        pgid, me, marker = self.proc.pid, os.getpid(), f"\0DAGSTER_HOME={self.dagster_home}\0".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                if fields[0] == "Z":
                    continue
                if int(fields[2]) == pgid or marker in b"\0" + (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
        return found

    def stop(self) -> None:
        """SIGTERM the whole process group (dagster dev shuts its webserver, daemon and code server down),
        then SIGKILL whatever of it is still alive."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while self._leftovers() and time.monotonic() < deadline:
            time.sleep(0.3)
        for pid in self._leftovers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()


def instance_yaml(dagster_home: Path, repo: Path) -> None:
    """The repo's dagster.yaml in `dagster_home`: its daemon dequeues runs each second (Dagster's default, 5 s, made
    every run these tests launch wait 2.5 s on average before it started)."""
    yaml = (repo / "dagster_home" / "dagster.yaml").read_text()
    assert "dequeue_interval_seconds: 1" in yaml, "the repo's dagster.yaml no longer dequeues each second"
    (dagster_home / "dagster.yaml").write_text(yaml)


def new_user_server(tmp: Path, repo: Path) -> tuple[DagsterServer, Path]:
    """`scripts/run.sh` (what `make run` runs) started as a new user: an empty HOME under `tmp`, no CCP_*,
    CLAUDE_* or DAGSTER_* settings of the caller; only the port and state folders (CCP_HOME, and a DAGSTER_HOME
    holding the repo's dagster.yaml, as the default `dagster_home/` does, dequeuing each second) are private.
    Returns (server, CCP_HOME)."""
    home, ccp_home, dagster_home = tmp / "home", tmp / "ccp_home", tmp / "dagster_home"
    home.mkdir(exist_ok=True)
    dagster_home.mkdir()
    instance_yaml(dagster_home, repo)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "CLAUDE_", "DAGSTER_"))}
    env.update({"HOME": str(home), "CCP_HOME": str(ccp_home), "DAGSTER_HOME": str(dagster_home),
                "DAGSTER_PORT": str(port)})
    return DagsterServer([str(repo / "scripts" / "run.sh")], env, repo, tmp / "run.log", port), ccp_home
