"""Claude Code transcripts: sessions, streamed responses, tools, hooks and subagents.

Each session has its own seeded stream (seed, day, index), so session i of a day is byte-identical
whatever the scale, and scale K simply adds sessions: the corpus grows linearly.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

from ccp_assets.demo.ids import day_start_ms, iso_ms, msg_id, req_id, rng_for, uuid4
from ccp_assets.demo.sink import Sink
from ccp_assets.demo.text import (
    ASSISTANT_TEXTS,
    BASH_OUTPUTS,
    HOOKS_POST,
    HOOKS_POST_EDIT,
    HOOKS_PRE,
    HOOKS_START,
    HOOKS_STOP,
    NOUNS,
    PNG_B64,
    SLUG_WORDS,
    THINKING,
    USER_PROMPTS,
    fill,
)
from ccp_assets.demo.world import HAIKU, OPUS, SONNET, ApiCall, Hunk, SessionSummary, TurnRecord
from ccp_assets.sources.claude_code.demo_lines import Chain, js, message_json, synthetic_message, usage_json
from ccp_assets.sources.claude_code.demo_model import (
    IDLE_CAP_MS,
    OLD_LAYOUT_VERSION,
    PROJECTS,
    VERSIONS,
    Ctx,
    Flags,
    Mirror,
    add_usage,
)
from ccp_assets.sources.claude_code.demo_tools import (
    MAIN_TOOLS,
    PRE_HOOK_TOOLS,
    REJECTED,
    SUB_TOOLS,
    ToolCall,
    plan_tool,
    task_block,
)


class _Session:
    def __init__(self, rng: random.Random, summary: SessionSummary, hunks: list[Hunk], flags: Flags) -> None:
        self.rng = rng
        self.s = summary
        self.hunks = hunks if summary.project.repo_backed else None
        self.flags = flags
        self.t = summary.start_ms
        self.env_common = (f',"userType":"external","cwd":{js(summary.project.cwd)},"sessionId":"{summary.session_id}",'
                           f'"version":"{summary.version}","gitBranch":{js(summary.branch)}')
        self.main = Chain(',"isSidechain":false' + self.env_common, rng)
        self.slug = "-".join(rng.sample(SLUG_WORDS, 3))
        self.subfiles: list[tuple[str, list[str]]] = []
        self.ctx = Ctx(mode=rng.choice(["5m", "5m", "5m", "1h", "mix"]))
        self.last_out = self.t

    # ---- API responses -------------------------------------------------------------------------
    def _usage(self, ctx: Ctx, first_of_turn: bool) -> tuple[int, int, int, int]:
        rng = self.rng
        if ctx.calls == 0:
            system = rng.randint(13_000, 26_000)
            warm = rng.random() < 0.5
            cr = system - rng.randint(500, 3000) if warm else 0
            cc = ctx.pending + (system - cr)
        else:
            ttl = 3_600_000 if ctx.mode == "1h" else 300_000
            if self.t - ctx.last_call > ttl:
                cr, cc = 0, ctx.cached + ctx.pending
            else:
                cr, cc = ctx.cached, ctx.pending
        cc = max(cc, 1)
        if ctx.mode == "1h" or (ctx.mode == "mix" and first_of_turn):
            c5, c1 = 0, cc
        else:
            c5, c1 = cc, 0
        return rng.randint(1, 3), c5, c1, cr

    def respond(self, ch: Chain, ctx: Ctx, model: str, blocks: list[dict], first_of_turn: bool,
                mirror: Mirror | None = None, usage: dict[tuple[str, str], list[int]] | None = None,
                ) -> tuple[str, list[str], int, int]:
        """Write one API response as one line per content block (streaming).

        Returns (message id, line uuids, input-side tokens, output tokens) of the response.
        """
        rng = self.rng
        mid, rid = msg_id(rng), req_id(rng)
        est = [len(js(b)) // 4 + (rng.randint(20, 400) if b["type"] == "thinking" else 5) for b in blocks]
        out_full = sum(est)
        inp, c5, c1, cr = self._usage(ctx, first_of_turn)
        geo = "global" if model == OPUS else "not_available"
        sent = self.t
        self.t += rng.randint(600, 2500) if model == HAIKU else rng.randint(1500, 7000)
        n = len(blocks)
        base = rng.randint(1, 9)
        out_full = max(out_full, base + n + rng.randint(3, 40))
        uuids = []
        last_ts = self.t
        for k, b in enumerate(blocks):
            last_ts = self.t
            final = k == n - 1
            msg = message_json(model, mid, js(b), usage_json(inp, c5, c1, cr, out_full if final else base + k, geo, final))
            u = ch.assistant(self.t, msg, rid)
            uuids.append(u)
            if mirror is not None and b["type"] == "tool_use":
                self._agent_progress(f'{{"type":"assistant","timestamp":"{iso_ms(self.t)}","message":{msg},'
                                     f'"requestId":"{rid}","uuid":"{u}"}}', mirror)
            self.t += max(40, est[k] * 1000 // rng.randint(45, 110))
        self.s.calls.append(ApiCall(rid, model, sent, last_ts, inp + c5 + c1 + cr, out_full))
        ctx.cached, ctx.pending, ctx.last_call = cr + c5 + c1, out_full, self.t
        ctx.calls += 1
        tot = self.s.tokens.setdefault(model, [0, 0, 0, 0, 0])
        tot[0] += inp
        tot[1] += out_full
        tot[2] += c5 + c1
        tot[3] += cr
        tot[4] += 1
        add_usage(self.s.usage if usage is None else usage, (iso_ms(last_ts)[:10], model), [inp, out_full, c5 + c1, cr, 1])
        return mid, uuids, inp + c5 + c1 + cr, out_full

    def _agent_progress(self, inner: str, m: Mirror) -> None:
        data = (f'{{"message":{inner},"normalizedMessages":[],"type":"agent_progress","prompt":{m.prompt_js},'
                f'"agentId":"{m.agent_id}"}}')
        self.main.progress(self.t + self.rng.randint(1, 30), data, f"agent_{m.parent_msg_id}", m.task_tool_id)

    # ---- tools ---------------------------------------------------------------------------------
    def run_tool(self, ch: Chain, ctx: Ctx, call: ToolCall, asst_uuid: str, in_sub: bool,
                 mirror: Mirror | None = None, rejected: bool = False) -> None:
        rng, tid, name = self.rng, call.block["id"], call.name
        if name in PRE_HOOK_TOOLS and not in_sub:
            for cmd in HOOKS_PRE if name == "Bash" else HOOKS_PRE[:2]:
                ch.hook(self.t, "PreToolUse", f"PreToolUse:{name}", cmd, tid)
            self.t += rng.randint(5, 60)
        if rejected:
            content = [{"type": "tool_result", "content": REJECTED, "is_error": True, "tool_use_id": tid}]
            ch.tool_result(self.t, asst_uuid, js(content), js(f"Error: {REJECTED}"))
            return
        if name == "Bash" and call.duration_ms > 4000 and not in_sub:
            out = rng.choice(BASH_OUTPUTS)
            for k in range(1, min(call.duration_ms // 2000, 8) + 1):
                self.t += 2000
                data = js({"type": "bash_progress", "output": out[-160:], "fullOutput": out[: 120 * k],
                           "elapsedTimeSeconds": 2 * k, "totalLines": out.count("\n") + 1, "timeoutMs": 120000})
                ch.progress(self.t, data, f"bash-progress-{k - 1}", tid)
        self.t += call.duration_ms
        event = "PostToolUseFailure" if call.is_error else "PostToolUse"
        posts = HOOKS_POST + (HOOKS_POST_EDIT if name in ("Edit", "Write") else [])
        for cmd in (posts if not in_sub else [HOOKS_POST[1], "callback"]):
            ch.hook(self.t, event, f"{event}:{name}", cmd, tid)
        block = call.content_js(tid, name == "Bash")
        u = ch.tool_result(self.t, asst_uuid, f"[{block}]", call.tool_use_result_js())
        if mirror is not None:
            self._agent_progress(f'{{"type":"user","message":{{"role":"user","content":[{block}]}},"uuid":"{u}",'
                                 f'"timestamp":"{iso_ms(self.t)}"}}', mirror)
        ctx.pending += call.result_tokens
        self.t += rng.randint(5, 40)

    def run_task(self, block: dict, asst_uuid: str, parent_mid: str) -> None:
        """A subagent: its own file (isSidechain, agentId) mirrored by agent_progress lines in the parent."""
        rng = self.rng
        aid = f"a{rng.getrandbits(48):012x}"
        model = HAIKU if rng.random() < 0.6 else SONNET
        prompt = block["input"]["prompt"]
        sub = Chain(',"isSidechain":true' + self.env_common + f',"agentId":"{aid}"', rng, slug=self.main.slug)
        ctx = Ctx(mode="5m")
        mirror = Mirror(aid, js(prompt), block["id"], parent_mid)
        start, in_tok, out_tok, tools = self.t, 0, 0, 0
        u = sub.user_text(self.t, prompt)
        self._agent_progress(js({"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": prompt}]},
                                 "uuid": u, "timestamp": iso_ms(self.t)}), mirror)
        ctx.pending = len(prompt) // 4
        steps_usage: dict[tuple[str, str], list[int]] = {}
        report_usage: dict[tuple[str, str], list[int]] = {}
        for step in range(rng.randint(2, 6)):
            calls = [plan_tool(rng, rng.choice(SUB_TOOLS), self.s.project.cwd, None) for _ in range(rng.randint(1, 3))]
            blocks = ([{"type": "text", "text": fill(rng, rng.choice(ASSISTANT_TEXTS))}] if step == 0 else []) + [c.block for c in calls]
            _, uuids, t_in, t_out = self.respond(sub, ctx, model, blocks, step == 0, mirror, steps_usage)
            in_tok, out_tok = in_tok + t_in, out_tok + t_out
            for c in calls:
                self.run_tool(sub, ctx, c, uuids[-1], True, mirror)
                tools += 1
        report = "## Findings\n\n" + "\n".join(f"- `src/{rng.choice(NOUNS)}.py`: {fill(rng, rng.choice(ASSISTANT_TEXTS))}"
                                               for _ in range(rng.randint(3, 9)))
        _, _, t_in, t_out = self.respond(sub, ctx, model, [{"type": "text", "text": report}], False, None, report_usage)
        in_tok, out_tok = in_tok + t_in, out_tok + t_out
        dur = self.t - start
        drop = rng.random() < 0.04
        # a deleted subagent file leaves only the agent_progress copies: tool-use responses, not the final report
        for key, vals in [*steps_usage.items(), *([] if drop else report_usage.items())]:
            add_usage(self.s.usage, key, vals)
        if not drop:
            self.subfiles.append((aid, sub.lines))
        self.s.subagents += 1
        self.s.turns.append(TurnRecord(u, start, model, block["input"]["subagent_type"], in_tok, out_tok, "text", dur))
        usage_text = (f"agentId: {aid} (for resuming to continue this agent's work if needed)\n<usage>total_tokens: "
                      f"{in_tok + out_tok}\ntool_uses: {tools}\nduration_ms: {dur}</usage>")
        content = [{"type": "text", "text": report}, {"type": "text", "text": usage_text}]
        tur = {"status": "completed", "prompt": prompt, "agentId": aid, "content": content[:1], "totalDurationMs": dur,
               "totalTokens": in_tok + out_tok, "totalToolUseCount": tools,
               "usage": {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                         "output_tokens": out_tok, "service_tier": "standard"}}
        self.main.hook(self.t, "PostToolUse", "PostToolUse:Task", HOOKS_POST[1], block["id"])
        self.main.tool_result(self.t, asst_uuid, js([{"tool_use_id": block["id"], "type": "tool_result", "content": content}]),
                              js(tur))
        self.ctx.pending += len(report) // 4

    # ---- turns ---------------------------------------------------------------------------------
    def turn(self, k: int, n_turns: int) -> None:
        rng, ch, s = self.rng, self.main, self.s
        if k > 0:
            gap = int(rng.lognormvariate(10.6, 1.0)) if rng.random() > 0.14 else rng.randint(320_000, 2_400_000)
            self.t = self.last_out + gap
            s.interaction_ms += min(gap, IDLE_CAP_MS)
            ch.slug = f',"slug":"{self.slug}"'
        cwd = s.project.cwd
        text = fill(rng, rng.choice(USER_PROMPTS), file=f"src/{rng.choice(NOUNS)}.py")
        image = (self.flags.image and k == 0) or rng.random() < 0.05
        content: object = text
        if image:
            content = [{"type": "text", "text": text},
                       {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}]
        u = uuid4(rng)
        if rng.random() < 0.1:
            ch.raw({"type": "queue-operation", "operation": "enqueue", "timestamp": iso_ms(self.t - 900),
                    "sessionId": s.session_id, "content": text})
            ch.raw({"type": "queue-operation", "operation": "dequeue", "timestamp": iso_ms(self.t - 5),
                    "sessionId": s.session_id})
        ch.raw({"type": "file-history-snapshot", "messageId": u, "snapshot": {"messageId": u, "trackedFileBackups": {},
                                                                             "timestamp": iso_ms(self.t + 120)},
                "isSnapshotUpdate": False})
        ch.user_text(self.t, content, ',"thinkingMetadata":{"maxThinkingTokens":31999},"todos":[],'
                                      '"permissionMode":"bypassPermissions"', u)
        turn_start, ctx = self.t, self.ctx
        ctx.pending += len(text) // 4 + (1600 if image else 0)
        turn_in = turn_out = 0
        steps = rng.randint(1, 6)
        force_task = self.flags.task and k == 0
        force_synth = self.flags.synthetic and k == 0
        if force_task or force_synth:
            steps = max(steps, 3)
        # the user rejects one single-tool step (then a <synthetic> message): forced steps are 0=Task, 1=rejected
        synthetic_at = (1 if force_synth else rng.randrange(steps - 1)) if (
            force_synth or (steps > 1 and rng.random() < 0.04)) else -1
        error_at = 0 if (self.flags.api_error and k == n_turns - 1) or rng.random() < 0.03 else -1
        for step in range(steps):
            last = step == steps - 1
            if step == error_at:
                self._api_error()
            blocks: list[dict] = []
            if s.model == OPUS and (step == 0 or rng.random() < 0.4):
                blocks.append({"type": "thinking", "thinking": fill(rng, rng.choice(THINKING)), "signature": "Eu" + "x" * 40})
            if last or rng.random() < 0.6:
                blocks.append({"type": "text", "text": fill(rng, rng.choice(ASSISTANT_TEXTS))})
            calls: list[ToolCall] = []
            task: dict | None = None
            if step == synthetic_at:
                calls.append(plan_tool(rng, "Edit", cwd, None))
            elif force_task and step == 0:
                task = task_block(rng)
            elif not last:
                for _ in range(1 if rng.random() < 0.8 else 2):
                    name = rng.choice(MAIN_TOOLS)
                    if name == "Task" and task is None:
                        task = task_block(rng)
                    else:
                        calls.append(plan_tool(rng, "Edit" if name == "Task" else name, cwd, self.hunks))
            blocks += [c.block for c in calls] + ([task] if task else [])
            mid, uuids, t_in, t_out = self.respond(ch, ctx, s.model, blocks, step == 0)
            turn_in, turn_out = turn_in + t_in, turn_out + t_out
            self.last_out = self.t
            if step == synthetic_at:
                self.run_tool(ch, ctx, calls[0], uuids[-1], False, rejected=True)
                ch.user_text(self.t + 800, [{"type": "text", "text": "[Request interrupted by user for tool use]"}])
                ch.assistant(self.t + 801, synthetic_message(uuid4(rng), "No response requested."), None)
                self.last_out = self.t + 801
                break
            for c in calls:
                self.run_tool(ch, ctx, c, uuids[-1], False)
            if task is not None:
                self.run_task(task, uuids[-1], mid)
            self.last_out = self.t
            if ctx.cached > 150_000:
                self._compact()
        else:
            for cmd in HOOKS_STOP:
                ch.hook(self.t + 20, "Stop", "Stop", cmd, uuid4(rng))
            self.t += 60
            infos = js([{"command": c} for c in HOOKS_STOP])
            ch.system(self.t, f'"subtype":"stop_hook_summary","hookCount":{len(HOOKS_STOP)},"hookInfos":{infos},'
                              '"hookErrors":[],"preventedContinuation":false,"stopReason":"","hasOutput":true,'
                              '"level":"suggestion"')
            ch.system(self.t + 40, f'"subtype":"turn_duration","durationMs":{self.t - turn_start},"isMeta":false')
        s.prompts += 1
        s.turns.append(TurnRecord(u, turn_start, s.model, "main", turn_in, turn_out, "image" if image else "text",
                                  self.last_out - turn_start))

    def _api_error(self) -> None:
        body = ('API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},'
                '"request_id":null}')
        self.t += self.rng.randint(2000, 9000)
        self.main.assistant(self.t, synthetic_message(uuid4(self.rng), body), None, ',"isApiErrorMessage":true')
        self.t += self.rng.randint(4000, 30_000)

    def _compact(self) -> None:
        ch, pre = self.main, self.ctx.cached
        ch.system(self.t, f'"subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,"level":"info",'
                          f'"logicalParentUuid":"{ch.last}","compactMetadata":{{"trigger":"auto","preTokens":{pre}}}', False)
        ch.user_text(self.t + 5, "This session is being continued from a previous conversation that ran out of context. "
                                 "The conversation is summarized below: ...", ',"isCompactSummary":true')
        self.ctx.cached, self.ctx.pending = 0, 12_000

    def run(self, n_turns: int) -> None:
        ch, rng, s = self.main, self.rng, self.s
        if s.version == OLD_LAYOUT_VERSION:
            ch.raw({"type": "summary", "summary": f"{fill(rng, '{verb} {noun} handling').capitalize()}",
                    "leafUuid": uuid4(rng)})
        hook_id = uuid4(rng)
        for cmd in HOOKS_START:
            ch.hook(self.t, "SessionStart", "SessionStart:startup", cmd, hook_id)
        self.t += rng.randint(800, 3000)
        for k in range(n_turns):
            self.turn(k, n_turns)
        s.end_ms = max(self.t, self.last_out)


def sessions_per_day(seed: int, day: dt.date) -> int:
    """Weekdays 3-5 sessions, weekends 1-2 (before scale)."""
    rng = rng_for(seed, "day-sessions", day.isoformat())
    return rng.randint(1, 2) if day.weekday() >= 5 else rng.randint(3, 5)


def generate_day(sink: Sink, projects_root: Path, seed: int, day: dt.date, day_idx: int, days: int, scale: int,
                 hunks: list[Hunk]) -> Iterator[SessionSummary]:
    """Write every session of one day; yields each summary after its files are on disk."""
    base = sessions_per_day(seed, day)
    for i in range(base * scale):
        rng = rng_for(seed, "session", day.isoformat(), i)
        project = rng.choice(PROJECTS)
        model = OPUS if rng.random() < 0.55 else SONNET
        version = OLD_LAYOUT_VERSION if (day_idx == 1 and i == 0) else rng.choice(VERSIONS)
        branch = "main" if rng.random() < 0.5 else f"feat/{rng.choice(NOUNS)}-{rng.choice(NOUNS)}"
        start = day_start_ms(day) + rng.randint(7 * 3_600_000, 19 * 3_600_000)
        summary = SessionSummary(uuid4(rng), project, branch, version, model, start)
        summary.feature_shipped = rng.random() < 0.45
        first, last_day = day_idx == 0 and i == 0, day_idx == days - 1 and i == 0
        flags = Flags(synthetic=first, image=first, task=first or last_day, api_error=last_day)
        gen = _Session(rng, summary, hunks, flags)
        # the session length is drawn per base slot, so scale K repeats the day's length mix K times:
        # sizes grow linearly even with few sessions, while content and ids stay independent
        gen.run(rng_for(seed, "turns", day.isoformat(), i % base).randint(2, 5))
        pdir = projects_root / project.dirname
        sink.write_lines("claude", pdir / f"{summary.session_id}.jsonl", gen.main.lines)
        for aid, lines in gen.subfiles:
            sub_dir = pdir if version == OLD_LAYOUT_VERSION else pdir / summary.session_id / "subagents"
            sink.write_lines("claude", sub_dir / f"agent-{aid}.jsonl", lines)
        yield summary
