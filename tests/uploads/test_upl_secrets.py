"""Secrets never leave (issue 14): every gitleaks rule's own true positives plus the issue's kinds, planted
in prompts, tool results and paths of a real Claude Code transcript, and a drift-making value in another
day; then `ccp materialize` and `ccp upload` in the full tier against the real aggregator on 127.0.0.1.
None of them is in the bytes on the wire (request bodies, un-gzipped), in what the aggregator stored, in
what `ccp` printed (stdout, stderr) or in the Dagster event log (read from the instance)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagster import DagsterInstance
from dagster._serdes import serialize_value

from tests.helpers import ccp
from tests.privacy.secret_kinds import ISSUE_KINDS, gitleaks_examples

from .conftest import CLAUDE_FIXTURE, MAIN, contract_lib, db_bytes, license_env, setenv

CONTRACT = contract_lib().SECRETS
PATH_TOKEN = "glpat-Pq7Rs2Tu9Vw4Xy1Za6Bc"  # a token in a directory name and in the cwd of planted lines
DRIFT_VALUE = CONTRACT["github"]  # a service_tier outside its set: drift, quoted in the check's examples
CHUNK = 200  # planted blocks per transcript line


class WireTap:
    """Wraps the aggregator's ASGI app (inside the test fixture's recorder): keeps every request body."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.bodies: list[tuple[str, bytes]] = []

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def tapped() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    body = b"".join(chunks)
                    if headers.get("content-encoding") == "gzip":
                        body = gzip.decompress(body)
                    self.bodies.append((scope["path"], body))
            return message

        await self.app(scope, tapped, send)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plant(root: Path) -> tuple[Path, dict[str, str]]:
    """A Claude Code tree: the main session (2026-02-12) with every example planted, one per prompt or
    text block and one per tool result block, in lines whose cwd holds a token; a short session
    (2026-02-10) in a directory named after a token, with a service_tier that makes the day drift.
    Returns the tree and {label: core that must never be seen}."""
    cfg = root / "claude-planted"
    main_dir = cfg / "projects" / "-home-alicel-projects-secret-merger-2026"
    drift_dir = cfg / "projects" / f"-home-alicel-deploy-{PATH_TOKEN}"
    main_dir.mkdir(parents=True)
    drift_dir.mkdir(parents=True)
    lines = _lines(MAIN)
    user = next(d for d in lines if d.get("type") == "user" and isinstance(d["message"].get("content"), str))
    tool = next(d for d in lines if d.get("type") == "user" and isinstance(d["message"].get("content"), list)
                and any(b.get("type") == "tool_result" for b in d["message"]["content"]))
    cwd = f"/home/alicel/{PATH_TOKEN}/app"
    kinds = {**{f"issue:{k}": v for k, v in ISSUE_KINDS.items()},
             **{f"contract:{k}": (v, v.split("\n")[1][:30] if k == "pem" else v[-24:]) for k, v in CONTRACT.items()}}
    examples = [text for text, _ in kinds.values()] + [tp for _, tp, _ in gitleaks_examples()]
    planted: list[dict[str, Any]] = []
    for i, (text, _) in enumerate(kinds.values()):  # the issue's kinds: whole prompts, as typed
        planted.append({**user, "uuid": f"planted-prompt-{i}", "cwd": cwd,
                        "message": {**user["message"], "content": text}})
    for n, start in enumerate(range(0, len(examples), CHUNK)):
        chunk = examples[start:start + CHUNK]
        planted.append({**user, "uuid": f"planted-blocks-{n}", "cwd": cwd,
                        "message": {**user["message"], "content": [{"type": "text", "text": t} for t in chunk]}})
        planted.append({**tool, "uuid": f"planted-results-{n}", "cwd": cwd, "toolUseResult": {"stdout": chunk[0]},
                        "message": {**tool["message"], "content": [
                            {"type": "tool_result", "tool_use_id": f"toolu_planted_{n}_{j}", "content": t}
                            for j, t in enumerate(chunk)]}})
    out = lines[:40] + planted + lines[40:]
    (main_dir / MAIN.name).write_text("\n".join(json.dumps(d) for d in out) + "\n")
    short = _lines(MAIN.parent / "short.jsonl")
    for d in short:
        if d.get("type") == "assistant" and isinstance(d["message"].get("usage"), dict):
            d["message"]["usage"]["service_tier"] = DRIFT_VALUE
            d["cwd"] = f"/home/alicel/{PATH_TOKEN}"
    (drift_dir / "short.jsonl").write_text("\n".join(json.dumps(d) for d in short) + "\n")
    cores = {label: core for label, (_, core) in kinds.items()}
    cores.update({f"{rule}#{i}": core for i, (rule, _, core) in enumerate(gitleaks_examples())})
    cores["path-token"] = PATH_TOKEN.removeprefix("glpat-")
    return cfg, cores


def _found(cores: dict[str, str], blob: bytes | str) -> list[str]:
    data = blob if isinstance(blob, bytes) else blob.encode()
    return sorted({label for label, core in cores.items() if core.encode() in data})


def test_no_planted_secret_leaves_or_shows(ccp_env, monkeypatch, operator, aggregator) -> None:  # noqa: ANN001
    assert CLAUDE_FIXTURE.exists()
    agg = aggregator()
    tap = WireTap(agg.recorder.app)
    agg.recorder.app = tap
    license_env(ccp_env, monkeypatch, operator, "full", url=agg.url)
    cfg, cores = plant(ccp_env.tmp)
    setenv(ccp_env, monkeypatch, CLAUDE_CONFIG_DIR=str(cfg))
    assert len(cores) > 5000

    run = ccp(ccp_env.env, "materialize", check=False)
    upload = ccp(ccp_env.env, "upload", check=False)

    # the full tier was sent for the planted day, and the drifted day was withheld with a masked message
    events = [ev for path, body in tap.bodies if path == "/v1/events" for ev in json.loads(body)["events"]]
    prompts = [e for e in events if e["type"] == "user_prompt"]
    results = [e for e in events if e["type"] == "tool_result"]
    assert {e["day"] for e in events} == {"2026-02-12"}, upload.stdout
    assert sum(e.get("dropped", False) for e in prompts) >= len(gitleaks_examples()) + len(ISSUE_KINDS) - 1
    assert len(results) >= len(gitleaks_examples())
    assert "withheld: 2026-02-10" in upload.stdout and "service_tier" in upload.stdout, upload.stdout

    leaks = {"wire": _found(cores, b"\n".join(body for _, body in tap.bodies)),
             "stored": _found(cores, db_bytes(agg.db_path)),
             "ccp materialize": _found(cores, run.stdout + run.stderr),
             "ccp upload": _found(cores, upload.stdout + upload.stderr)}

    instance = DagsterInstance.get()
    records = [serialize_value(entry) for r in instance.get_runs() for entry in instance.all_logs(r.run_id)]
    log = "\n".join(records)
    assert "service_tier" in log and "2026-02-10" in log  # the drift check's evaluation is in the log
    leaks["dagster event log"] = _found(cores, log)
    instance.dispose()
    assert leaks == {k: [] for k in leaks}
    assert "[github_token]" in upload.stdout, upload.stdout  # the drift example, masked where it is quoted
