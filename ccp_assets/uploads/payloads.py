"""What may leave the machine, built per tier (PRODUCT.md "Privacy tiers").

Minimized: `minimize_summary` of the day's metrics_summary.json (METRICS.md's starred fields; numbers and
fixed vocabularies only; unknown keys as keyed hashes), `assert_minimized` as the last guard.

Full: one event per warehouse turn and session-day (every source) plus one per Claude Code user prompt and
tool result (from the landed lines), built field by field from an explicit list, never by copying a row:
- identifiers that could name a person, repo, path or session (session/turn/request ids, cwd, project,
  branch, repo, file, agent ids) become keyed hashes with the install secret (joinable, not readable);
- the human prompt is a free-text span: it goes through the Redactor (a span with a high-risk match, a
  key, token, JWT or private key, is dropped whole; emails, home paths and user names become placeholders),
  then it is capped; its content is also given as a keyed hash and a length;
- tool results and other content are never sent as text: keyed hash, length and the redactor's hit counts;
- every other string (model, provider, lane, version, ...) goes through the Redactor too;
- `assert_redacted` is the last guard: every string of every event must be a fixed point of the Redactor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ccp_assets.licensing.device import install_device_id
from ccp_assets.licensing.jsonstrict import canonical_bytes
from ccp_assets.privacy import Redactor, assert_minimized, keyed_hash, minimize_summary
from ccp_assets.privacy.redact import default_redactor
from ccp_assets.uploads.outbox import body_hash

EVENTS_SCHEMA = "ccp.events.v1"
MAX_SPAN_CHARS = 2000  # a redacted prompt is capped after redaction (cutting first could split a secret)
MAX_VALUE_CHARS = 200
DEFAULT_MAX_EVENTS = 2000  # per batch; the aggregator accepts 20000 by default
DEFAULT_MAX_BATCH_BYTES = 1 << 20  # uncompressed JSON per batch; the aggregator caps 16 MiB after gzip

# Turn/session columns that are identifiers: hashed with this purpose. Anything not listed is not sent.
TURN_IDS = {"turn_id": "turn", "session_id": "session", "transcript_id": "session", "subagent": "subagent",
            "request_id": "request", "message_id": "message", "rid": "rid", "file": "path"}
TURN_TEXT = ("model", "provider", "service_tier", "input_kind", "lane", "upstream", "op", "event", "err_type",
             "reason", "decision", "decision_reason", "status_text", "version", "source")
TURN_NUMBERS = ("tokens_in", "tokens_out", "cache_creation_tokens", "cache_creation_5m_tokens",
                "cache_creation_1h_tokens", "cache_read_tokens", "latency_ms", "ttft_ms", "stream_ms",
                "capacity_used", "wasted_retry_ms", "status", "part")
TURN_FLAGS = ("is_sidechain", "embedded", "is_api_error", "retry")
SESSION_IDS = {"session_id": "session", "transcript_id": "session", "repo_id": "repo", "project": "project",
               "cwd": "path", "branch": "branch", "commit": "commit", "license_id": "license", "file": "path"}
SESSION_TEXT = ("version", "source", "privacy_tier")
SESSION_NUMBERS = ("user_prompts", "turns", "subagents", "features_completed", "interaction_minutes")
SESSION_TIMES = ("first_ts", "last_ts", "ended_at")


class RedactionGuardError(ValueError):
    """A full-tier payload holds a string the Redactor would still change: it must not leave."""


# --- minimized --------------------------------------------------------------------------------------------
def minimized_payload(summary: Mapping[str, Any], secret: bytes) -> dict[str, Any]:
    """The allow-listed summary; `tier` says what the payload is (minimized), whatever the rollup recorded."""
    payload = minimize_summary(summary, secret)
    payload["tier"] = "minimized"
    payload["device_id"] = install_device_id(secret)  # which install: the team view's devices (issue 18)
    assert_minimized(payload)
    return payload


def minimized_body(summary_path: Path, secret: bytes) -> bytes:
    body = canonical_bytes(minimized_payload(json.loads(summary_path.read_text()), secret))
    assert_minimized(body)
    return body


# --- full ---------------------------------------------------------------------------------------------
class EventBuilder:
    """Turns warehouse rows and landed lines of one day into full-tier events."""

    def __init__(self, secret: bytes, redactor: Redactor | None = None) -> None:
        self.secret = secret
        self.redactor = redactor or default_redactor()

    def h(self, value: Any, purpose: str) -> str | None:
        if value is None or value == "":
            return None
        return keyed_hash(str(value), self.secret, f"full.{purpose}")

    def content_hash(self, text: str) -> str:
        """Keyed hash of content (empty content too: "empty" is a fact worth joining on)."""
        return keyed_hash(text, self.secret, "full.content")

    def text(self, value: Any) -> str | None:
        """A short non-identifier string (model, lane, version): redacted, capped."""
        if value is None:
            return None
        return self.redactor.redact(str(value)).text[:MAX_VALUE_CHARS]

    def span(self, text: str) -> dict[str, Any]:
        """A free-text span (a human prompt): redacted text (dropped whole when high-risk), hash, length."""
        r = self.redactor.redact(text)
        out: dict[str, Any] = {"content_hash": self.content_hash(text), "length": len(text),
                               "text": r.text[:MAX_SPAN_CHARS], "dropped": r.dropped}
        if len(r.text) > MAX_SPAN_CHARS:
            out["truncated"] = True
        if r.hits:
            out["redactions"] = dict(sorted(r.hits.items()))
        return out

    def content(self, value: Any) -> dict[str, Any]:
        """Content that never leaves as text (tool results): keyed hash, length, redactor hit counts."""
        text = _flatten(value)
        r = self.redactor.redact(text)
        out: dict[str, Any] = {"content_hash": self.content_hash(text), "length": len(text)}
        if r.hits:
            out["redactions"] = dict(sorted(r.hits.items()))
        return out

    # warehouse rows ------------------------------------------------------------------------------------
    def _event(self, ev: dict[str, Any], row: Mapping[str, Any], ids: Mapping[str, str], text: Iterable[str],
               numbers: Iterable[str]) -> dict[str, Any]:
        """Ids as keyed hashes (named without `_id`), text redacted, numbers as numbers."""
        for col, purpose in ids.items():
            ev[col.removesuffix("_id") if col != "file" else "file"] = self.h(row.get(col), purpose)
        ev.update({col: self.text(row.get(col)) for col in text})
        ev.update({col: _number(row.get(col)) for col in numbers})
        return ev

    def turn(self, row: Mapping[str, Any], day: str) -> dict[str, Any]:
        ev: dict[str, Any] = {"type": "turn", "day": day, "ts": _iso(row.get("ts")),
                              "event_id": self.h(f"{row.get('source')}|{row.get('turn_id')}", "turn_event")}
        self._event(ev, row, TURN_IDS, TURN_TEXT, TURN_NUMBERS)
        for col in TURN_FLAGS:
            ev[col] = _flag(row.get(col))
        return _compact(ev)

    def session(self, row: Mapping[str, Any], day: str) -> dict[str, Any]:
        ev: dict[str, Any] = {"type": "session", "day": day,
                              "event_id": self.h(f"{row.get('source')}|{row.get('session_id')}|{day}", "session_event")}
        self._event(ev, row, SESSION_IDS, SESSION_TEXT, SESSION_NUMBERS)
        for col in SESSION_TIMES:
            ev[col] = _iso(row.get(col))
        models = row.get("models")
        if isinstance(models, list | tuple):
            ev["models"] = sorted({t for m in models if (t := self.text(m))})
        return _compact(ev)

    # landed Claude Code lines ------------------------------------------------------------------------
    def user_line(self, line: str, ts: Any, file: str, offset: int, part: int, day: str) -> list[dict[str, Any]]:
        """Events of one landed `user` line: a prompt (string content, text blocks, images) or tool results."""
        try:
            d = json.loads(line)
        except ValueError:
            return []
        if not isinstance(d, dict) or d.get("type") != "user":
            return []
        msg = d.get("message") if isinstance(d.get("message"), dict) else {}
        content = msg.get("content")
        line_id = d.get("uuid") or f"{file}|{offset}|{part}"
        base = _compact({"day": day, "ts": _iso(ts), "source": "claude_code",
                         "session": self.h(d.get("sessionId"), "session"),
                         "subagent": self.h(d.get("agentId"), "subagent"),
                         "parent": self.h(d.get("parentUuid"), "line"),
                         "is_sidechain": _flag(d.get("isSidechain")), "is_meta": _flag(d.get("isMeta")),
                         "version": self.text(d.get("version"))})
        if isinstance(content, str):
            return [{**base, "type": "user_prompt", "event_id": self.h(line_id, "line"), "input_kind": "text",
                     **self.span(content)}]
        if not isinstance(content, list):
            return []
        events = []
        for i, block in enumerate(content):
            if not isinstance(block, dict):
                continue
            eid = self.h(f"{line_id}#{i}", "line")
            kind = block.get("type")
            if kind == "tool_result":
                events.append({**base, "type": "tool_result", "event_id": eid,
                               "tool_use": self.h(block.get("tool_use_id"), "tool_use"),
                               "is_error": bool(block.get("is_error")), **self.content(block.get("content"))})
            elif kind == "text" and isinstance(block.get("text"), str):
                events.append({**base, "type": "user_prompt", "event_id": eid, "input_kind": "text",
                               **self.span(block["text"])})
            elif kind == "image":
                events.append({**base, "type": "user_prompt", "event_id": eid, "input_kind": "image",
                               **self.content(block.get("source"))})
        return events


def build_day_events(conn: Any, landing_files: list[str], day: str, builder: EventBuilder) -> list[dict[str, Any]]:
    """Every full-tier event of `day`: turns and sessions of every source, Claude Code prompts and results."""
    events: list[dict[str, Any]] = []
    for table, make in (("turns", builder.turn), ("sessions", builder.session)):
        cur = conn.execute(f"SELECT * FROM {table} WHERE day = ?", [day])
        cols = [c[0] for c in cur.description]
        events += [make(dict(zip(cols, r, strict=True)), day) for r in cur.fetchall()]
    if landing_files:
        rows = conn.execute(
            "SELECT line, ts, file, byte_offset, part FROM read_parquet(?, hive_partitioning = false) "
            "WHERE json_valid(line) AND (line::JSON->>'$.type') = 'user' ORDER BY file, byte_offset, part",
            [landing_files]).fetchall()
        for line, ts, file, offset, part in rows:
            events += builder.user_line(line, ts, file, offset, part, day)
    return events


def index_events(events: Iterable[dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """{event_id: (content hash, event)}; a repeated id keeps its first event."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for ev in events:
        eid = ev.get("event_id")
        if eid and eid not in out:
            out[eid] = (body_hash(canonical_bytes(ev)), ev)
    return out


def chunker(max_events: int = DEFAULT_MAX_EVENTS, max_bytes: int = DEFAULT_MAX_BATCH_BYTES):  # noqa: ANN201
    """Split (event_id, event_hash, event) triples into batch bodies under both limits (an event bigger
    than max_bytes alone still travels alone; spans are capped, so that stays far under the server's cap)."""
    overhead = len(canonical_bytes({"events": [], "schema": EVENTS_SCHEMA}))

    def chunk(todo: list[tuple[str, str, Any]]) -> list[tuple[bytes, list[tuple[str, str]]]]:
        out: list[tuple[bytes, list[tuple[str, str]]]] = []
        current: list[tuple[str, str, Any]] = []
        size = overhead

        def flush() -> None:
            if current:
                body = canonical_bytes({"schema": EVENTS_SCHEMA, "events": [ev for _, _, ev in current]})
                out.append((body, [(eid, eh) for eid, eh, _ in current]))

        for item in todo:
            n = len(canonical_bytes(item[2])) + 1
            if current and (len(current) >= max_events or size + n > max_bytes):
                flush()
                current, size = [], overhead
            current.append(item)
            size += n
        flush()
        return out

    return chunk


def assert_redacted(payload: Any, redactor: Redactor | None = None) -> None:
    """Raise unless every string (keys too) of `payload` (a value or its JSON bytes) is left unchanged by
    the Redactor: nothing it would drop or replace can be in a full-tier upload."""
    r = redactor or default_redactor()
    if isinstance(payload, bytes | str):
        payload = json.loads(payload)
    stack = [payload]
    bad = 0
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            res = r.redact(node)
            if res.text != node:
                bad += 1
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if bad:
        raise RedactionGuardError(f"{bad} string(s) would still be redacted: refusing to upload")


# --- helpers ----------------------------------------------------------------------------------------------
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_RE.match(value):
        return value
    return None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    return None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _flatten(value: Any) -> str:
    """Tool result content as one string: the text of text blocks, other blocks as canonical JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for b in value:
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str):
                parts.append(b["text"])
            else:
                parts.append(json.dumps(b, sort_keys=True, ensure_ascii=False))
        return "\n".join(parts)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
