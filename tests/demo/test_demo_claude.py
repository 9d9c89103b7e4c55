"""Claude Code transcripts look like the real v2.1 files the parsers are built for."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

from tests.demo.conftest import Corpus

ENVELOPE = ["parentUuid", "isSidechain", "userType", "cwd", "sessionId", "version", "gitBranch", "type", "uuid",
            "timestamp"]
ENVELOPED = {"user", "assistant", "system", "progress"}
BARE = {"file-history-snapshot", "queue-operation", "summary"}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_every_line_is_json_with_the_envelope(corpus: Corpus) -> None:
    types: Counter[str] = Counter()
    seen_uuids: set[str] = set()
    for path in corpus.transcripts():
        uuids: set[str] = set()
        for d in corpus.lines(path):
            types[d["type"]] += 1
            if d["type"] in BARE:
                continue
            assert d["type"] in ENVELOPED, d["type"]
            missing = [k for k in ENVELOPE if k not in d]
            assert not missing, (path.name, missing)
            assert TS.match(d["timestamp"]), d["timestamp"]
            assert d["cwd"].startswith("/home/demo/projects/")
            parent = d["parentUuid"]
            assert parent is None or parent in uuids, f"broken parentUuid chain in {path.name}"
            assert d["uuid"] not in seen_uuids, "uuid reused"
            uuids.add(d["uuid"])
            seen_uuids.add(d["uuid"])
    assert types["progress"] > types["assistant"] + types["user"], "progress lines are the majority in real files"
    assert types["file-history-snapshot"] and types["summary"]


def test_layout_matches_claude_config_dir(corpus: Corpus) -> None:
    for path in corpus.session_files():
        first = next(d for d in corpus.lines(path) if "cwd" in d)
        assert path.parent.name == re.sub(r"[^A-Za-z0-9]", "-", first["cwd"])
        assert path.stem == first["sessionId"]
    nested = [p for p in corpus.subagent_files() if p.parent.name == "subagents"]
    assert nested, "subagents live in <sessionId>/subagents/agent-<agentId>.jsonl"
    for path in nested:
        for d in corpus.lines(path):
            if d["type"] in ENVELOPED:
                assert d["sessionId"] == path.parent.parent.name and d["isSidechain"] is True
                assert path.stem == f"agent-{d['agentId']}"


def test_streaming_repeats_one_response_with_growing_output(corpus: Corpus) -> None:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    models: Counter[str] = Counter()
    for path in corpus.transcripts():
        for d in corpus.lines(path):
            if d["type"] == "assistant" and d.get("requestId"):
                groups[(d["message"]["id"], d["requestId"])].append(d["message"]["usage"])
                models[d["message"]["model"]] += 1
    multi = [g for g in groups.values() if len(g) > 1]
    assert len(multi) > 0.4 * len(groups)
    assert max(len(g) for g in groups.values()) >= 4
    for g in multi:
        outs = [u["output_tokens"] for u in g]
        assert outs == sorted(outs) and outs[-1] > outs[0], outs
        assert len({(u["input_tokens"], u["cache_read_input_tokens"]) for u in g}) == 1
    for g in groups.values():
        for u in g:
            split = u["cache_creation"]
            assert split["ephemeral_5m_input_tokens"] + split["ephemeral_1h_input_tokens"] == u["cache_creation_input_tokens"]
            assert u["service_tier"] == "standard"
    assert set(models) >= {"claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}
    assert any(u["cache_creation"]["ephemeral_1h_input_tokens"] for g in groups.values() for u in g)


def test_agent_progress_duplicates_subagent_files(corpus: Corpus) -> None:
    file_keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in corpus.subagent_files():
        for d in corpus.lines(path):
            if d["type"] == "assistant":
                file_keys[d["agentId"]].add((d["message"]["id"], d["requestId"]))
    progress: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in corpus.session_files():
        for d in corpus.lines(path):
            if d["type"] == "progress" and d["data"]["type"] == "agent_progress":
                inner = d["data"]["message"]
                if inner["type"] == "assistant":
                    assert inner["message"]["usage"]["output_tokens"] >= 1
                    progress[d["data"]["agentId"]].add((inner["message"]["id"], inner["requestId"]))
    both = [a for a in progress if a in file_keys]
    assert len(both) >= 3
    for agent in both:
        assert progress[agent] <= file_keys[agent], "agent_progress embeds the subagent file's responses"


def test_special_lines_present(corpus: Corpus) -> None:
    found: Counter[str] = Counter()
    for path in corpus.transcripts():
        for d in corpus.lines(path):
            msg = d.get("message") if isinstance(d.get("message"), dict) else {}
            if d["type"] == "assistant" and msg.get("model") == "<synthetic>":
                found["api_error" if d.get("isApiErrorMessage") else "synthetic"] += 1
            if d["type"] == "user" and isinstance(msg.get("content"), list):
                found["image"] += any(b.get("type") == "image" for b in msg["content"])
            tur = d.get("toolUseResult")
            if isinstance(tur, dict) and tur.get("structuredPatch"):
                lines = tur["structuredPatch"][0]["lines"]
                assert any(x[:1] in "+-" for x in lines) and all(x[:1] in "+- " for x in lines)
                found["patch"] += 1
            if isinstance(tur, dict) and tur.get("agentId"):
                found["task_result"] += 1
            if d["type"] == "system":
                found[d["subtype"]] += 1
            if d["type"] == "progress":
                found[d["data"]["type"]] += 1
    for kind in ("synthetic", "api_error", "image", "patch", "task_result", "turn_duration", "stop_hook_summary",
                 "hook_progress", "bash_progress", "agent_progress"):
        assert found[kind] > 0, kind


def test_human_think_time_has_long_gaps(corpus: Corpus) -> None:
    gaps = []
    for path in corpus.session_files():
        last_out = None
        for d in corpus.lines(path):
            if d["type"] == "assistant":
                last_out = d["timestamp"]
            elif d["type"] == "user" and "thinkingMetadata" in d and last_out:
                a = dt.datetime.fromisoformat(last_out.replace("Z", "+00:00"))
                b = dt.datetime.fromisoformat(d["timestamp"].replace("Z", "+00:00"))
                gaps.append((b - a).total_seconds())
    assert gaps and min(gaps) >= 0
    assert any(g > 300 for g in gaps) and sum(g < 300 for g in gaps) > len(gaps) / 2


def test_message_ids_unique_per_session(corpus: Corpus) -> None:
    owner: dict[str, str] = {}
    for path in corpus.transcripts():
        for d in corpus.lines(path):
            if d["type"] == "assistant" and d.get("requestId"):
                assert owner.setdefault(d["message"]["id"], d["sessionId"]) == d["sessionId"]


def test_manifest_expected_usage_matches_a_dedup_of_the_files(corpus: Corpus) -> None:
    """Keep the largest line per (message.id, requestId), agent_progress copies included (METRICS.md)."""
    best: dict[tuple[str, str], tuple[int, str, str, dict]] = {}
    for path in corpus.transcripts():
        for d in corpus.lines(path):
            if d["type"] == "assistant" and d.get("requestId"):
                found = [(d["message"], d["requestId"], d["timestamp"])]
            elif d["type"] == "progress" and d["data"]["type"] == "agent_progress" and "requestId" in d["data"]["message"]:
                inner = d["data"]["message"]
                found = [(inner["message"], inner["requestId"], inner["timestamp"])]
            else:
                continue
            for msg, rid, ts in found:
                u = msg["usage"]
                total = u["input_tokens"] + u["output_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"]
                key = (msg["id"], rid)
                if key not in best or total > best[key][0]:
                    best[key] = (total, ts[:10], msg["model"], u)
    got: dict[str, dict[str, dict[str, int]]] = {}
    for _, day, model, u in best.values():
        row = got.setdefault(day, {}).setdefault(model, dict.fromkeys(
            ("input", "output", "cache_creation", "cache_read", "responses"), 0))
        row["input"] += u["input_tokens"]
        row["output"] += u["output_tokens"]
        row["cache_creation"] += u["cache_creation_input_tokens"]
        row["cache_read"] += u["cache_read_input_tokens"]
        row["responses"] += 1
    assert got == corpus.manifest.expected_usage
