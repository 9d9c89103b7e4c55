"""CCP routing-proxy usage log (SOURCES.md section 2) and its `results/METRICS-<date>.json` summaries.

No real proxy log is public, so this is the reference shape: one line per decision, completion or
error, including the warts parsers must survive (glued `{...}{...}` lines, a stray `{}`, old ISO-`ts`
lines with status "ok").
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from ccp_assets.demo.ids import day_start_ms, rng_for, unique_hex
from ccp_assets.demo.sink import Sink
from ccp_assets.demo.world import ApiCall, ProxyDay, percentile

ANTH_MODELS = ["claude-sonnet-4-5-20250929"] * 5 + ["claude-opus-4-6"] * 3 + ["claude-haiku-4-5-20251001"] * 2
BACKGROUND_MODEL = "claude-haiku-4-5-20251001"
"""Claude Code's own side calls (session titles, topic checks) and quota probes use the small model."""
GLM_FOR = {"claude-haiku-4-5-20251001": "glm-4.5-air"}
ERR_STATUS = {"429": 429, "5xx": 529, "net": 0, "timeout": 0}
ROLLING_CAP, WEEKLY_CAP = 12_000_000, 120_000_000
"""Per unit of scale: a team K times larger has K times the seats."""
ROLLING_S = 5 * 3600
FORCED_KINDS = ["pass", "quota", "fallback", "manual", "429", "5xx", "timeout", "net"]
"""The first requests of every day cover every decision and error kind, whatever the scale."""
_WEIGHTS = [70, 14, 4, 2, 4, 2, 2, 2]
_B = {True: "true", False: "false"}
_HM = {True: "null", False: '"x-api-key"'}
_dumps = json.JSONEncoder(separators=(",", ":")).encode


class _Day:
    """One day of proxy traffic. Lines are formatted from templates (dicts + json.dumps were 3x slower)."""

    def __init__(self, rng: random.Random, day: dt.date, day_idx: int, weekly_used: int, scale: int) -> None:
        self.rng = rng
        self.rcap, self.wcap = ROLLING_CAP * scale, WEEKLY_CAP * scale
        self.last_ts = 0.0
        self.stats = ProxyDay(day)
        self.events: list[tuple[float, str]] = []
        self.day_idx = day_idx
        self.rolling = 0
        self.weekly = weekly_used
        self.policy = ""
        self._new_policy()

    def _new_policy(self) -> None:
        """Auto-warn statistics drift slowly: refreshed every few dozen requests, not per line."""
        rng = self.rng
        self.policy = (f',"warn_pct_cfg":80,"warn_pct_auto":{rng.uniform(0.6, 0.85):.3f},'
                       f'"warn_pct_confidence":{rng.uniform(0.2, 0.9):.2f},"gap_seconds_p50":{rng.randint(8, 30)},'
                       f'"gap_seconds_p95":{rng.randint(40, 120)},"gap_samples":{rng.randint(5, 60)}')

    def _headroom(self) -> str:
        return (f',"rolling_used_tokens":{self.rolling},"rolling_capacity_tokens":{self.rcap},'
                f'"weekly_used_tokens":{self.weekly},"weekly_capacity_tokens":{self.wcap},'
                f'"headroom_pct_rolling":{max(0.0, 100 * (1 - self.rolling / self.rcap)):.2f},'
                f'"headroom_pct_weekly":{max(0.0, 100 * (1 - self.weekly / self.wcap)):.2f}{self.policy}')

    def _decision(self, ts: float, rid: str, lane: str, model: str, decision: str, reason: str | None,
                  mode: str, verdict: str, cooldown: bool) -> None:
        anth = lane == "anthropic"
        extra = f',"decision_reason":"{reason}"' if reason else ""
        if cooldown:
            extra += f',"cooldown_next_ts":{ts + self.rng.randint(60, 900):.3f}'
        line = (f'{{"ts":{ts:.6f},"rid":"{rid}","lane":"{lane}","model":"{model}","status":-1,"event":"decision",'
                f'"decision":"{decision}","upstream":"{"anth" if anth else "zai"}","h2":true,'
                f'"header_mode":{_HM[anth]},"paused":{_B[decision == "failover_paused"]},'
                f'"reroute_mode":"{mode}","reroute_decision":"{verdict}","preferred_attempt":0,'
                f'"cooldown_active":{_B[cooldown]}{extra}{self._headroom()}}}')
        self.events.append((ts, line))
        self.stats.decisions[decision] += 1

    def _error(self, ts: float, rid: str, lane: str, model: str, err: str, attempt: int) -> float:
        rng = self.rng
        backoff = rng.choice([250, 500, 1000, 2000, 4000])
        wasted = rng.randint(200, 30_000) if err == "timeout" else rng.randint(40, 3000)
        self.events.append((ts, f'{{"ts":{ts:.6f},"rid":"{rid}","lane":"{lane}","model":"{model}",'
                                f'"status":{ERR_STATUS[err]},"event":"error","err_type":"{err}","retry":true,'
                                f'"backoff_ms":{backoff},"wasted_retry_ms":{wasted},"preferred_attempt":{attempt},'
                                f'"upstream":"{"anth" if lane == "anthropic" else "zai"}","h2":true}}'))
        self.stats.errors[(lane, err)] += 1
        return ts + (wasted + backoff) / 1000

    def _complete(self, ts: float, rid: str, lane: str, model: str, attempt: int, call: ApiCall | None,
                  light: bool = False) -> None:
        """The answered attempt. For a Claude Code call it ends when the transcript's last block was written,
        with the transcript's tokens, and carries the upstream's request id the transcript records; a light
        (background) call is a few hundred tokens."""
        rng = self.rng
        anth = lane == "anthropic"
        stream = rng.random() < 0.7
        inp = rng.randint(800, 60_000)
        out = min(8000, int(rng.lognormvariate(5.6, 0.9)))
        ttft = rng.randint(250, 2500) if anth else rng.randint(400, 3500)
        stream_ms = out * 1000 // rng.randint(40, 120) if stream else 0
        latency = ttft + stream_ms if stream else ttft + out * 1000 // rng.randint(60, 150)
        counted = not (stream and rng.random() < 0.15)
        request_id = ""
        if light:
            inp, out = rng.randint(300, 4000), rng.randint(5, 300)
        if call is not None:
            inp, out = call.input_tokens, call.output_tokens
            latency = max(int(call.end_ms - ts * 1000), 50)
            ttft = min(ttft, latency)
            stream_ms = latency - ttft if stream else 0
            request_id = f',"request_id":"{call.request_id}"'
        end = ts + latency / 1000
        timing = f',"ttft_ms":{ttft},"stream_ms":{stream_ms}' if stream else ""
        retry = f',"preferred_attempt":{attempt}' if attempt else ""
        ci, co = (inp, out) if counted else (0, 0)
        line = (f'{{"ts":{end:.6f},"rid":"{rid}"{request_id},"lane":"{lane}","model":"{model}","input_tokens":{ci},'
                f'"output_tokens":{co},"status":200,"reason":"{"ok" if counted else "streaming"}",'
                f'"op":"{"stream" if stream else "nonstream"}","latency_ms":{latency}{timing},"err_type":null,'
                f'"retry":{_B[attempt > 0]},"backoff_ms":0,"upstream":"{"anth" if anth else "zai"}","h2":true,'
                f'"header_mode":{_HM[anth]}{retry}{self._headroom()}}}')
        self.events.append((end, line))
        # 5-hour rolling usage: linear decay since the previous completion, then this request
        keep = max(0.0, 1 - (end - self.last_ts) / ROLLING_S) if self.last_ts else 0.0
        self.rolling = int(self.rolling * keep) + inp + out
        self.last_ts = end
        self.weekly += inp + out
        st = self.stats
        st.completions[lane] += 1
        tok = st.tokens.get(model)
        if tok is None:
            tok = st.tokens[model] = [0, 0, 0]
        tok[0] += ci
        tok[1] += co
        tok[2] += 1
        st.latencies.setdefault(lane, []).append(latency)

    def request(self, n: int, ts: float, call: ApiCall | None = None, light: bool = False) -> None:
        """One request arriving at `ts`: a Claude Code API call (`call`, its model as the client asked), a
        light background call (`light`: titles, quota probes) or, on a day known only from its METRICS
        summary, any call; routed, retried or rerouted to GLM like any other."""
        rng = self.rng
        if n % 40 == 39:
            self._new_policy()
        rid = unique_hex(self.day_idx << 20 | n, 32)
        kind = FORCED_KINDS[n] if n < len(FORCED_KINDS) else rng.choices(FORCED_KINDS, _WEIGHTS)[0]
        model = rng.choice(ANTH_MODELS)
        if call is not None:
            model = call.model
        elif light:
            model = BACKGROUND_MODEL
        glm = GLM_FOR.get(model, "glm-4.6")
        self.stats.requests += 1
        if kind == "pass":
            self._decision(ts, rid, "anthropic", model, "pass_through", None, "hybrid", "stay", False)
            self._complete(ts + 0.002, rid, "anthropic", model, 0, call, light)
        elif kind in ("quota", "manual"):
            reason = "quota_block" if kind == "quota" else "manual_override"
            self._decision(ts, rid, "zai", glm, "forced_model", reason, rng.choice(["run2cap", "preemptive"]),
                           "reroute_zai", False)
            self._complete(ts + 0.002, rid, "zai", glm, 0, call, light)
        elif kind == "fallback":
            t = self._error(ts, rid, "anthropic", model, rng.choice(["5xx", "429"]), 0)
            self._decision(t, rid, "zai", glm, "failover_paused", "fallback", "hybrid", "failover", True)
            self._complete(t + 0.002, rid, "zai", glm, 1, call, light)
        else:
            self._decision(ts, rid, "anthropic", model, "pass_through", None, "hybrid", "stay", False)
            t = self._error(ts + 0.5, rid, "anthropic", model, kind, 0)
            self._complete(t, rid, "anthropic", model, 1, call, light)


def proxy_lines(seed: int, day: dt.date, day_idx: int, spans: list[tuple[int, int]], n: int,
                weekly_used: int = 0, scale: int = 1, calls: Sequence[ApiCall] = (),
                background: bool = False) -> tuple[Iterator[str], ProxyDay]:
    """Lines of one day in time order (a lazy stream) and its stats, complete once the stream is consumed.

    Every Claude Code API call in `calls` is one request, arriving when the client sent it; `n` more
    (light ones with `background`) come at random times in `spans` (the day's Claude session spans: the
    proxy is busy when the developers are). Requests arrive in time order and their events never precede
    their arrival, so a small heap of in-flight events is enough to emit a sorted log without holding the
    day in memory.
    """
    rng = rng_for(seed, "proxy", day.isoformat())
    gen = _Day(rng, day, day_idx, weekly_used, scale)
    base = day_start_ms(day)
    if not spans:
        spans = [(base + 9 * 3_600_000, base + 18 * 3_600_000)]
    background: list[tuple[float, ApiCall | None]] = [(rng.uniform(*rng.choice(spans)) / 1000, None) for _ in range(n)]
    arrivals = sorted([(c.start_ms / 1000, c) for c in calls] + background, key=lambda a: a[0])

    def stream() -> Iterator[str]:
        heap: list[tuple[float, int, str]] = []
        seq = 0
        for i, (ts, call) in enumerate(arrivals):
            while heap and heap[0][0] <= ts:
                yield heapq.heappop(heap)[2]
            gen.request(i, ts, call, background and call is None)
            for ev_ts, line in gen.events:
                heapq.heappush(heap, (ev_ts, seq, line))
                seq += 1
            gen.events.clear()
        while heap:
            yield heapq.heappop(heap)[2]
        gen.stats.weekly_used_end = gen.weekly

    return stream(), gen.stats


def _warts(rng: random.Random, lines: Iterator[str], n_requests: int, old_style: bool, day: dt.date,
           sample: list[str]) -> Iterator[str]:
    """Glue a few lines together and drop in a stray `{}`, as the real proxy has written them."""
    if old_style:
        for k, (lane, model) in enumerate([("baseline", "anthropic/haiku"), ("glm", "glm-4.6")]):
            yield _dumps({"ts": f"{day.isoformat()}T06:5{k}:00Z", "rid": f"R{k + 1}", "lane": lane, "model": model,
                          "status": "ok", "input_tokens": 1200 - 200 * k, "output_tokens": 300 + 200 * k,
                          "reason": "ok" if k == 0 else "routed", "latency_ms": 420 - 40 * k})
    stray = rng.randrange(max(1, n_requests))
    held: str | None = None
    for i, line in enumerate(lines):
        if len(sample) < 12:
            sample.append(line)
        if i == stray:
            yield "{}"
        if held is not None:
            yield held + line
            held = None
        elif i % 97 == 41:
            held = line
        else:
            yield line
    if held is not None:
        yield held


def background_requests(seed: int, day: dt.date, scale: int) -> int:
    """Calls of other clients (titles, quota probes, scripts) that no transcript records."""
    return rng_for(seed, "proxy-n", day.isoformat()).randint(10, 30) * scale


def requests_per_day(seed: int, day: dt.date, scale: int, api_calls: int | None = None) -> int:
    """Every Claude Code API call of the day goes through the proxy, plus background calls (titles, quota)."""
    return (api_calls if api_calls is not None else 80 * scale) + background_requests(seed, day, scale)


def write_usage_log(sink: Sink, root: Path, seed: int, day: dt.date, day_idx: int, is_last: bool, first: bool,
                    spans: list[tuple[int, int]], scale: int, weekly_used: int, calls: Sequence[ApiCall]) -> ProxyDay:
    """Past days go to rotated usage-YYYYMMDD.jsonl files, the last (current) day to usage.jsonl.

    `calls` are the API calls of the day's Claude Code sessions: each becomes one request whose completion
    carries the transcript's `requestId` as `request_id` (unified_turns joins on it, SOURCES.md)."""
    n = background_requests(seed, day, scale)
    lines, stats = proxy_lines(seed, day, day_idx, spans, n, weekly_used, scale, calls, background=True)
    name = "usage.jsonl" if is_last else f"usage-{day.strftime('%Y%m%d')}.jsonl"
    sink.write_stream("ccp", root / name, _warts(rng_for(seed, "warts", day.isoformat()), lines, n + len(calls),
                                                 first, day, stats.sample))
    return stats


def metrics_summary(stats: ProxyDay) -> dict:
    """The proxy's own daily summary (results/METRICS-<date>.json): a backfill input."""
    by_lane = {}
    for lane in ("anthropic", "zai"):
        lat = stats.latencies.get(lane, [])
        errs = sum(v for (ln, _), v in stats.errors.items() if ln == lane)
        models = [m for m in stats.tokens if (m.startswith("glm") == (lane == "zai"))]
        by_lane[lane] = {"count": stats.completions[lane], "errors": errs,
                         "input_tokens": sum(stats.tokens[m][0] for m in models),
                         "output_tokens": sum(stats.tokens[m][1] for m in models),
                         "p50_ms": percentile(lat, 0.5), "p95_ms": percentile(lat, 0.95)}
    return {"schema": "ccp.metrics.v1", "date": stats.day.isoformat(),
            "generated_at": f"{(stats.day + dt.timedelta(days=1)).isoformat()}T00:05:00Z",
            "total_requests": stats.requests, "byLane": by_lane, "decisions": dict(sorted(stats.decisions.items())),
            "errors_by_type": dict(sorted(Counter({e: v for (_, e), v in stats.errors.items()}).items())),
            "byModel": {m: {"input_tokens": v[0], "output_tokens": v[1], "requests": v[2]}
                        for m, v in sorted(stats.tokens.items())}}


def write_results(sink: Sink, root: Path, seed: int, days: list[dt.date], scale: int) -> None:
    """METRICS files for days that have no raw log any more (before the log's first day)."""
    for k, day in enumerate(days):
        lines, stats = proxy_lines(seed, day, 4000 + k, [], requests_per_day(seed, day, scale), 0, scale)
        for _ in lines:
            pass
        data = json.dumps(metrics_summary(stats), indent=2, sort_keys=False) + "\n"
        sink.write_bytes("ccp", root / "results" / f"METRICS-{day.isoformat()}.json", data.encode("utf-8"))
