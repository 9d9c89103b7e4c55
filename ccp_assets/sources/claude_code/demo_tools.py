"""Tool calls of a demo Claude Code session: the tool_use input and what the tool returns.

Edit results carry a real `structuredPatch` (for repo-backed projects the very hunks committed to the
demo git repo that day), so lines-added/removed metrics from transcripts and from git agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ccp_assets.demo.ids import toolu_id
from ccp_assets.demo.text import (
    BASH_COMMANDS,
    BASH_OUTPUTS,
    BASH_OUTPUTS_JS,
    CODE,
    NOUNS,
    SNIPPETS,
    SUBAGENT_PROMPTS,
    VERBS,
    fill,
)
from ccp_assets.demo.world import Hunk
from ccp_assets.sources.claude_code.demo_lines import js

MAIN_TOOLS = (["Bash"] * 34 + ["Read"] * 22 + ["Edit"] * 24 + ["Grep"] * 8 + ["Write"] * 5 + ["Glob"] * 2
              + ["Task"] * 5)
SUB_TOOLS = ["Read"] * 12 + ["Grep"] * 5 + ["Glob"] * 2 + ["Bash"]
PRE_HOOK_TOOLS = {"Bash", "Edit", "Write"}
REJECTED = ("The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file "
            "edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to "
            "tell you how to proceed.")


@dataclass
class ToolCall:
    """A planned tool call: its tool_use block and its result, decided together."""

    block: dict
    name: str
    result: str | list[dict]
    tur: object
    duration_ms: int
    is_error: bool = False
    hunk: Hunk | None = None
    result_js: str | None = None
    """Pre-encoded `result` (pool contents are JSON-encoded once at import)."""
    tur_js: str | None = None

    @property
    def result_tokens(self) -> int:
        return (len(self.result) if isinstance(self.result, str) else len(js(self.result))) // 4 + 8

    def content_js(self, tool_id: str, with_error_flag: bool) -> str:
        """The tool_result content block, serialized."""
        err = f',"is_error":{"true" if self.is_error else "false"}' if with_error_flag else ""
        body = self.result_js if self.result_js is not None else js(self.result)
        return f'{{"tool_use_id":"{tool_id}","type":"tool_result","content":{body}{err}}}'

    def tool_use_result_js(self) -> str:
        return self.tur_js if self.tur_js is not None else js(self.tur)


def _synthetic_hunk(rng: random.Random, path: str) -> Hunk:
    start = rng.randrange(0, len(CODE) - 12)
    old = CODE[start:start + 8]
    new_mid = [f"    # {rng.choice(VERBS)} {rng.choice(NOUNS)} before returning", old[4].replace("limit", "max_items")]
    new = old[:3] + new_mid + old[5:]
    lines = [" " + x for x in old[:3]] + ["-" + x for x in old[3:5]] + ["+" + x for x in new_mid] + [" " + x for x in old[5:]]
    return Hunk(path, start + 1, len(old), start + 1, len(new), lines, "\n".join(old[3:5]), "\n".join(new_mid),
                "\n".join(CODE[max(0, start - 40):start + 60]))


def plan_tool(rng: random.Random, name: str, cwd: str, hunks: list[Hunk] | None) -> ToolCall:
    """Build the tool_use block and its outcome for one call of tool `name`."""
    tid = toolu_id(rng)
    noun = rng.choice(NOUNS)
    path = f"{cwd}/src/{noun}.py"
    if name == "Read":
        snip = rng.choice(SNIPPETS)
        inp = {"file_path": path}
        tur_js = (f'{{"type":"text","file":{{"filePath":{js(path)},"content":{snip.plain_js},"numLines":{snip.lines},'
                  f'"startLine":1,"totalLines":{snip.lines}}}}}')
        return ToolCall(_block(tid, name, inp), name, snip.numbered, None, rng.randint(20, 250),
                        result_js=snip.numbered_js, tur_js=tur_js)
    if name == "Grep":
        pattern = f"def {rng.choice(VERBS)}_{noun}"
        hits = [f"src/{rng.choice(NOUNS)}.py:{rng.randint(1, 400)}:{pattern}(rows)" for _ in range(rng.randint(0, 6))]
        content = "\n".join(hits) if hits else "No matches found"
        inp = {"pattern": pattern, "path": f"{cwd}/src", "output_mode": "content", "-n": True}
        tur = {"mode": "content", "numFiles": 0, "filenames": [], "content": content, "numLines": len(hits)}
        return ToolCall(_block(tid, name, inp), name, content, tur, rng.randint(30, 400))
    if name == "Glob":
        files = [f"{cwd}/src/{n}.py" for n in rng.sample(NOUNS, rng.randint(1, 8))]
        inp = {"pattern": "**/*.py"}
        tur = {"filenames": files, "durationMs": rng.randint(5, 90), "numFiles": len(files), "truncated": False}
        return ToolCall(_block(tid, name, inp), name, "\n".join(files), tur, rng.randint(10, 120))
    if name == "Bash":
        cmd, desc = rng.choice(BASH_COMMANDS)
        k = rng.randrange(len(BASH_OUTPUTS))
        out, out_js = BASH_OUTPUTS[k], BASH_OUTPUTS_JS[k]
        failed = "failed" in out and cmd.startswith("pytest")
        inp = {"command": fill(rng, cmd), "description": desc}
        tur_js = f'{{"stdout":{out_js},"stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}}'
        result = f"Exit code 1\n{out}" if failed else out
        return ToolCall(_block(tid, name, inp), name, result, None, rng.randint(300, 45_000), is_error=failed,
                        result_js=None if failed else out_js, tur_js=tur_js)
    if name == "Edit":
        hunk = hunks.pop(0) if hunks else _synthetic_hunk(rng, path.removeprefix(cwd + "/"))
        fpath = f"{cwd}/{hunk.path}"
        inp = {"file_path": fpath, "old_string": hunk.old_string, "new_string": hunk.new_string, "replace_all": False}
        tur = {"filePath": fpath, "oldString": hunk.old_string, "newString": hunk.new_string,
               "originalFile": hunk.original_file,
               "structuredPatch": [{"oldStart": hunk.old_start, "oldLines": hunk.old_lines, "newStart": hunk.new_start,
                                    "newLines": hunk.new_lines, "lines": hunk.lines}],
               "userModified": False, "replaceAll": False}
        return ToolCall(_block(tid, name, inp), name, f"The file {fpath} has been updated successfully.", tur,
                        rng.randint(40, 300), hunk=hunk)
    if name == "Write":
        plain = rng.choice(SNIPPETS).plain
        fpath = f"{cwd}/tests/test_{noun}_{rng.choice(VERBS)}.py"
        inp = {"file_path": fpath, "content": plain}
        tur = {"type": "create", "filePath": fpath, "content": plain, "structuredPatch": [], "originalFile": None}
        return ToolCall(_block(tid, name, inp), name, f"File created successfully at: {fpath}", tur, rng.randint(30, 200))
    raise ValueError(f"no plan for tool {name}")


def _block(tid: str, name: str, inp: dict) -> dict:
    return {"type": "tool_use", "id": tid, "name": name, "input": inp, "caller": {"type": "direct"}}


def task_block(rng: random.Random) -> dict:
    sub_type = rng.choice(["Explore", "Explore", "general-purpose", "Plan"])
    return _block(toolu_id(rng), "Task", {"subagent_type": sub_type, "description": f"Explore {rng.choice(NOUNS)} flow",
                                          "prompt": fill(rng, rng.choice(SUBAGENT_PROMPTS))})
