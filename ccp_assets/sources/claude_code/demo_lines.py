"""Line emitters for Claude Code transcripts (format of v2.1.x, compact JSON as Claude Code writes it).

Lines are assembled from pre-serialized fragments: the envelope of a session is encoded once and only
parentUuid/uuid/timestamp and the payload change per line. That is what makes GB-scale output cheap.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

from ccp_assets.demo.ids import iso_ms, uuid4

_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _no_default(o: object) -> object:
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


if c_make_encoder is not None:  # the C encoder without JSONEncoder.encode's per-call set-up: 2x faster
    _c_enc = c_make_encoder(None, _no_default, encode_basestring, None, ":", ",", False, False, True)

    def js(obj: object) -> str:
        """Compact JSON with raw UTF-8, like JSON.stringify in Claude Code."""
        return encode_basestring(obj) if type(obj) is str else "".join(_c_enc(obj, 0))
else:  # pragma: no cover - CPython always has the C accelerator
    js = _enc.encode

_HOOK_CACHE: dict[tuple[str, str, str], str] = {}


def hook_data(event: str, name: str, command: str) -> str:
    key = (event, name, command)
    got = _HOOK_CACHE.get(key)
    if got is None:
        got = _HOOK_CACHE[key] = js({"type": "hook_progress", "hookEvent": event, "hookName": name, "command": command})
    return got


@dataclass
class Chain:
    """One parentUuid chain (main thread or one subagent) and the lines written for it."""

    env: str
    rng: random.Random
    lines: list[str] = field(default_factory=list)
    last: str | None = None
    slug: str = ""

    def head(self, parent: str | None) -> str:
        p = "null" if parent is None else '"' + parent + '"'
        return '{"parentUuid":' + p + self.env + self.slug

    def progress(self, t: int, data: str, tool_id: str, parent_tool_id: str | None = None) -> str:
        u = uuid4(self.rng)
        self.lines.append(f'{self.head(self.last)},"type":"progress","data":{data},"parentToolUseID":"'
                          f'{parent_tool_id or tool_id}","toolUseID":"{tool_id}","timestamp":"{iso_ms(t)}","uuid":"{u}"}}')
        self.last = u
        return u

    def hook(self, t: int, event: str, name: str, command: str, tool_id: str) -> str:
        return self.progress(t, hook_data(event, name, command), tool_id)

    def user_text(self, t: int, content: object, extra: str = "", u: str | None = None) -> str:
        """A human prompt (string content, or text+image blocks)."""
        u = u or uuid4(self.rng)
        self.lines.append(f'{self.head(self.last)},"type":"user","message":{{"role":"user","content":{js(content)}}},'
                          f'"uuid":"{u}","timestamp":"{iso_ms(t)}"{extra}}}')
        self.last = u
        return u

    def tool_result(self, t: int, parent: str, content_js: str, tool_use_result_js: str) -> str:
        """A tool_result user line; both payloads arrive serialized (big file contents are encoded once)."""
        u = uuid4(self.rng)
        self.lines.append(f'{self.head(parent)},"type":"user","message":{{"role":"user","content":{content_js}}},'
                          f'"uuid":"{u}","timestamp":"{iso_ms(t)}","toolUseResult":{tool_use_result_js},'
                          f'"sourceToolAssistantUUID":"{parent}"}}')
        self.last = u
        return u

    def assistant(self, t: int, message: str, request_id: str | None, extra: str = "") -> str:
        u = uuid4(self.rng)
        rid = f',"requestId":"{request_id}"' if request_id else ""
        self.lines.append(f'{self.head(self.last)},"message":{message}{rid},"type":"assistant",'
                          f'"uuid":"{u}","timestamp":"{iso_ms(t)}"{extra}}}')
        self.last = u
        return u

    def system(self, t: int, body: str, parent: str | None | bool = True) -> str:
        """`body` holds subtype and its fields; parent=True chains to the previous line."""
        u = uuid4(self.rng)
        p = self.last if parent is True else (None if parent is False else parent)
        self.lines.append(f'{self.head(p)},"type":"system",{body},"timestamp":"{iso_ms(t)}","uuid":"{u}"}}')
        self.last = u
        return u

    def raw(self, obj: dict) -> None:
        """Lines without the envelope (file-history-snapshot, queue-operation, summary)."""
        self.lines.append(js(obj))


def usage_json(inp: int, cc5: int, cc1h: int, cr: int, out: int, geo: str, final: bool) -> str:
    """Usage as Claude Code writes it; the final streamed line lists cache_creation keys 1h-first."""
    split = (f'{{"ephemeral_1h_input_tokens":{cc1h},"ephemeral_5m_input_tokens":{cc5}}}' if final
             else f'{{"ephemeral_5m_input_tokens":{cc5},"ephemeral_1h_input_tokens":{cc1h}}}')
    return (f'{{"input_tokens":{inp},"cache_creation_input_tokens":{cc5 + cc1h},"cache_read_input_tokens":{cr},'
            f'"cache_creation":{split},"output_tokens":{out},"service_tier":"standard","inference_geo":"{geo}"}}')


def message_json(model: str, mid: str, block: str, usage: str) -> str:
    return (f'{{"model":"{model}","id":"{mid}","type":"message","role":"assistant","content":[{block}],'
            f'"stop_reason":null,"stop_sequence":null,"usage":{usage}}}')


SYNTHETIC_USAGE = ('{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
                   '"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":null,'
                   '"cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0}}')


def synthetic_message(mid: str, text: str) -> str:
    """A locally generated message (model `<synthetic>`): never an API call, never billed."""
    return (f'{{"id":"{mid}","container":null,"model":"<synthetic>","role":"assistant","stop_reason":"stop_sequence",'
            f'"stop_sequence":"","type":"message","usage":{SYNTHETIC_USAGE},"content":[{js({"type": "text", "text": text})}]}}')
