"""Text pools for the demo corpus: prompts, assistant prose, code and command output.

Built once at import from a fixed seed, so every generated line only picks from prepared strings.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from dataclasses import dataclass

_js = json.JSONEncoder(ensure_ascii=False).encode

NOUNS = ["invoice", "ledger", "account", "usage", "report", "window", "quota", "session", "export",
         "budget", "tenant", "price", "batch", "event", "metric", "partition", "rollup", "lane"]
VERBS = ["load", "parse", "compute", "merge", "render", "validate", "normalize", "group", "flush",
         "apply", "resolve", "collect", "summarize", "dedupe", "split", "filter", "rank", "export"]
FEATURE_TOPICS = ["CSV export of daily totals", "per-tenant budget alerts", "idempotent ingest of usage files",
                  "weekly rollup of token costs", "quota headroom warnings", "dark mode for the report page",
                  "retry with backoff on 429", "model mix breakdown", "session timeline view",
                  "cache hit ratio metric"]

USER_PROMPTS = [
    "Implement {topic}. Start by reading {file} and tell me the plan before editing.",
    "The test for {topic} is failing, can you figure out why? Run the suite first.",
    "Refactor {file} so {noun} handling lives in one place; keep the public API.",
    "Add BDD scenarios for {topic} in features/ and make them pass.",
    "Why is `{verb}_{noun}` so slow on big inputs? Profile it and fix the hot loop.",
    "Review the diff on this branch and fix anything that looks wrong.",
    "ok, go ahead",
    "yes, commit it with a clear message",
    "Can you also update the README section about {topic}?",
    "That broke the {noun} tests, please revert the last change to {file} and try again.",
    "Let's handle the empty {noun} case explicitly and add a test for it.",
    "continue",
    "Run ruff and pytest, then summarize what is left for {topic}.",
    "Use the existing `{verb}_{noun}` helper instead of duplicating the logic.",
    "Here is a screenshot of the broken layout, what's wrong with the {noun} table?",
]

ASSISTANT_TEXTS = [
    "Let me look at the current implementation before changing anything.",
    "I'll start by reading the relevant files to understand the existing patterns.",
    "The failure comes from an off-by-one in the window boundaries; fixing it now.",
    "All tests pass. Here's a summary of the changes:\n\n- moved {noun} parsing into `{verb}_{noun}`\n"
    "- added a guard for empty input\n- covered both paths with tests",
    "Now let me run the tests to verify the change.",
    "I found the issue: `{verb}_{noun}` re-reads the whole file on every call. I'll cache the offsets.",
    "Done. The feature is implemented and the scenarios in `features/` pass.",
    "Let me check how `{noun}` is used elsewhere before renaming it.",
    "The lint errors are unrelated to this change, but I fixed the two in the touched file.",
    "Here's the plan:\n1. Add the {noun} model field\n2. Thread it through `{verb}_{noun}`\n3. Tests\n\nStarting with 1.",
]

THINKING = [
    "The user wants {topic}. I should read the module first and check the tests that exist.",
    "The stack trace points at `{verb}_{noun}`; the input list can be empty there, which explains the "
    "IndexError. A guard plus a test is the minimal fix.",
    "There are two call sites. Changing the signature means updating both and the fixture builder.",
    "Running the full suite takes a while; run only the affected tests first, then everything.",
    "I need to be careful not to break the public API of the {noun} module since the CLI imports it.",
]

SUBAGENT_PROMPTS = [
    "Very thorough exploration. I need to understand how {noun} records flow from ingest to the report, "
    "which modules touch `{verb}_{noun}`, and where tests cover it. Provide file paths and short excerpts.",
    "Find every place that computes {noun} totals and list the differences between them.",
    "Search the codebase for uses of `{verb}_{noun}` and summarize the call graph.",
]

BASH_COMMANDS = [
    ("pytest -q tests/", "Run the test suite"),
    ("ruff check src tests", "Lint the sources"),
    ("git status --short", "Show working tree status"),
    ("git diff --stat", "Show diff summary"),
    ("python -m ledger.cli report --day 2025-01-01", "Try the report command"),
    ("grep -rn 'def {verb}_{noun}' src/", "Find the helper definition"),
    ("git log --oneline -5", "Recent commits"),
]

HOOKS_PRE = ["cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./guardian.ts", "${CLAUDE_PLUGIN_ROOT}/scripts/pre-commit.sh",
             "${CLAUDE_PLUGIN_ROOT}/scripts/pre-commit-check.sh", "${CLAUDE_PLUGIN_ROOT}/scripts/pre-tool-capture.sh"]
HOOKS_POST = ["${CLAUDE_PLUGIN_ROOT}/scripts/post-tool-capture.sh", "${CLAUDE_PLUGIN_ROOT}/scripts/tool-call-capture.sh"]
HOOKS_POST_EDIT = ["cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./dist/post-edit-check.js",
                   "cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./dist/post-yaml-validate.js",
                   "${CLAUDE_PLUGIN_ROOT}/scripts/post-edit.sh"]
HOOKS_START = ["/home/demo/.claude/hooks/tmux-waiting.sh clear", "bd prime",
               "${CLAUDE_PLUGIN_ROOT}/scripts/notify-session.sh"]
HOOKS_STOP = ["/home/demo/.claude/hooks/tmux-waiting.sh mark", "cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./dist/on-stop-test.js",
              "${CLAUDE_PLUGIN_ROOT}/hooks/stop-hook.sh"]

SLUG_WORDS = ["radiant", "floating", "music", "quiet", "amber", "river", "swift", "copper", "lunar", "velvet",
              "humble", "crisp", "orbit", "maple", "signal", "tidy", "brave", "cobalt", "gentle", "harbor"]


def fill(rng: random.Random, template: str, file: str = "src/ledger/billing.py") -> str:
    """Expand {topic}/{noun}/{verb}/{file} placeholders."""
    return template.format(topic=rng.choice(FEATURE_TOPICS), noun=rng.choice(NOUNS), verb=rng.choice(VERBS), file=file)


def _code_lines(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        noun, verb, other = rng.choice(NOUNS), rng.choice(VERBS), rng.choice(NOUNS)
        out += [
            f"def {verb}_{noun}(rows: list[dict], *, limit: int = {rng.randint(10, 500)}) -> list[dict]:",
            f'    """{verb.capitalize()} {noun} rows before they reach the {other} stage."""',
            "    seen: set[str] = set()",
            "    out = []",
            "    for row in rows:",
            f'        key = row.get("{noun}_id") or row["id"]',
            "        if key in seen:",
            "            continue",
            "        seen.add(key)",
            f'        row["{other}"] = round(row.get("{other}", 0) * {rng.randint(1, 99) / 100}, 4)',
            "        out.append(row)",
            "    return out[:limit]",
            "",
            "",
        ]
    return out[:n]


def _bash_output(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        n = rng.randint(8, 80)
        dots = "".join(rng.choice("....................F") for _ in range(n))
        fails = dots.count("F")
        tail = f"{n - fails} passed" + (f", {fails} failed" if fails else "") + f" in {rng.uniform(0.3, 9):.2f}s"
        return f"{dots}{' ' * 4}[100%]\n" + ("\n".join(
            f"FAILED tests/test_{rng.choice(NOUNS)}.py::test_{rng.choice(VERBS)}_{rng.choice(NOUNS)} - AssertionError"
            for _ in range(fails)) + "\n" if fails else "") + tail
    if kind < 0.75:
        return "\n".join(f"src/ledger/{rng.choice(NOUNS)}.py:{rng.randint(1, 300)}:{rng.randint(1, 80)}: "
                         f"{rng.choice(['F401', 'E711', 'B006', 'UP035'])} {rng.choice(['unused import', 'comparison to None', 'mutable default'])}"
                         for _ in range(rng.randint(1, 6))) + "\nFound issues."
    return "\n".join(f" M src/ledger/{rng.choice(NOUNS)}.py" for _ in range(rng.randint(1, 5)))


def _tiny_png(w: int = 48, h: int = 24) -> str:
    """A valid grey-gradient PNG, base64: an image block must decode like a real screenshot would."""
    raw = b"".join(b"\x00" + bytes((x * 5 + y * 3) % 256 for x in range(w)) for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode("ascii")


_R = random.Random(20240601)
CODE = _code_lines(_R, 1400)
BASH_OUTPUTS = [_bash_output(_R) for _ in range(64)]
PNG_B64 = _tiny_png()


@dataclass(frozen=True)
class Snippet:
    """A slice of the code pool as a file: plain, as the Read tool numbers it, and both JSON-encoded once."""

    plain: str
    numbered: str
    lines: int
    plain_js: str
    numbered_js: str


def _snippet(rng: random.Random) -> Snippet:
    n = rng.choice([12, 24, 40, 60, 90, 140])
    start = rng.randrange(0, len(CODE) - n)
    lines = CODE[start:start + n]
    numbered = "\n".join(f"{i + 1:>6}\u2192{line}" for i, line in enumerate(lines))
    plain = "\n".join(lines)
    return Snippet(plain, numbered, n, _js(plain), _js(numbered))


SNIPPETS = [_snippet(_R) for _ in range(96)]
"""Picked, never rebuilt, per Read/Write call."""
BASH_OUTPUTS_JS = [_js(x) for x in BASH_OUTPUTS]
