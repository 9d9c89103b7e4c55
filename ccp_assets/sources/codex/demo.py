"""Demo Codex rollouts: a few seeded sessions a day in Codex's own format (`ccp demo`, Source.write_demo).

Each session is a rollout file `sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`: session_meta, a turn_context
(a model switch in some), user messages, and per turn a token_count line with last + cumulative usage and
the rate-limit bars, which climb over the day and reset with the 5-hour window.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ccp_assets.demo.sink import DemoRun

MODELS = ("gpt-5-codex", "gpt-5-codex", "gpt-5", "gpt-5.1-codex")
PROMPTS = ("add a retry to the uploader", "why does the ledger test fail", "rename Window to CapacityWindow",
           "write the migration for the new column", "explain the dedup key")


def _stamp(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _dump(ts: dt.datetime, typ: str, payload: dict[str, Any]) -> str:
    return json.dumps({"timestamp": _stamp(ts), "type": typ, "payload": payload}, separators=(",", ":"))


def _usage(i: int, c: int, o: int, r: int) -> dict[str, int]:
    return {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o, "reasoning_output_tokens": r,
            "total_tokens": i + o}


def session_lines(rng: random.Random, start: dt.datetime, sid: str, five: float, week: float
                  ) -> tuple[list[str], float, float]:
    """One session's lines; returns them and the bars (5-hour, weekly used percent) after it."""
    model = rng.choice(MODELS)
    t = start
    lines = [_dump(t, "session_meta", {"id": sid, "timestamp": _stamp(t), "cwd": "/home/dev/shop",
                                       "originator": "codex_cli_rs", "cli_version": "0.63.0", "source": "cli",
                                       "model_provider": "openai", "git": {"branch": "main"}}),
             _dump(t, "turn_context", {"cwd": "/home/dev/shop", "approval_policy": "on-request", "model": model,
                                       "effort": "medium", "summary": "auto"})]
    total = [0, 0, 0, 0]
    context = rng.randint(6000, 12000)
    for k in range(rng.randint(3, 8)):
        t += dt.timedelta(seconds=rng.randint(20, 240))
        if k == 4 and rng.random() < 0.3:
            model = "gpt-5"
            lines.append(_dump(t, "turn_context", {"cwd": "/home/dev/shop", "model": model, "effort": "high"}))
        prompt = rng.choice(PROMPTS)
        lines.append(_dump(t, "response_item", {"type": "message", "role": "user",
                                                "content": [{"type": "input_text", "text": prompt}]}))
        lines.append(_dump(t, "event_msg", {"type": "user_message", "message": prompt, "images": []}))
        context += rng.randint(500, 4000)
        cached = int(context * rng.uniform(0.5, 0.92)) // 128 * 128
        out = rng.randint(80, 2500)
        reasoning = min(out, rng.randint(0, 1200)) // 64 * 64
        total = [a + b for a, b in zip(total, (context, cached, out, reasoning), strict=True)]
        five = min(100.0, five + rng.choice((0.0, 1.0, 1.0, 2.0)))
        week = min(100.0, week + rng.choice((0.0, 0.0, 1.0)))
        t += dt.timedelta(seconds=rng.randint(5, 90))
        lines.append(_dump(t, "event_msg", {"type": "token_count", "info": {
            "total_token_usage": _usage(*total), "last_token_usage": _usage(context, cached, out, reasoning),
            "model_context_window": 272000}, "rate_limits": {
            "primary": {"used_percent": five, "window_minutes": 300, "resets_in_seconds": rng.randint(60, 18000)},
            "secondary": {"used_percent": week, "window_minutes": 10080,
                          "resets_in_seconds": rng.randint(1, 6) * 86400}}}))
    return lines, five, week


def write_rollouts(run: DemoRun) -> None:
    """Two to four sessions a day per unit of `scale` (each unit seeded by day and unit: same arguments, same
    bytes, and scale 2 is scale 1 plus as much again)."""
    for day in run.days:
        for unit in range(run.scale):
            rng = random.Random(f"codex-{run.seed}-{day}-{unit}")
            five, week, hour = 0.0, 2.0 + day.weekday() * 6.0, 8 + unit
            for _ in range(rng.randint(2, 4)):
                hour = min(22, hour + rng.randint(0, 3))
                start = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)), dt.UTC)
                sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                lines, five, week = session_lines(rng, start, sid, five, week)
                name = f"rollout-{start:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
                run.sink.write_lines("codex", run.out / "sessions" / f"{day:%Y/%m/%d}" / name, lines)
                if rng.random() < 0.3:
                    five = 0.0  # the 5-hour window reset between sessions
