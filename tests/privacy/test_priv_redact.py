"""Redactor API: drop vs replace, nested values, extra rules, user names, the contract's planted secrets,
and how much ordinary text survives."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ccp_assets.privacy import redact as redact_mod
from ccp_assets.privacy.redact import RedactionResult, Redactor, default_redactor, redact_value
from tests.uploads.conftest import contract_lib

# What the contract check plants in transcripts (the spec's own list, tests/tools/contract_lib.py).
SECRETS = contract_lib().SECRETS
# Distinctive pieces: none may appear in anything that leaves, even split from the rest of its secret.
CORES = [
    "Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aG", "N4b7Xc2Vz9Lk5Jh8Gf3Ds6Aq1Wp0Oe", "R8s2T4u6V8w0X2y4Z6a8B0c2D4e6F8g0H2i4",
    "Q7W3E9R2T5Y8U1I4", "alice.liddell", "wonderland-corp", "alicel", "secret-merger-2026",
    "eyJzdWIiOiJhbGljZSIsImlhdCI6MTcwMDAwMDAwMH0", "c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2g",
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
]
FIXTURE_SESSION = (Path(__file__).resolve().parents[1] / "fixtures" / "claude-code" / "projects"
                   / "-home-USER-projects-spotter" / "4d5611e5-241a-462a-8d15-5122611a9569.jsonl")


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.from_rules(include_login=False)


def _leaks(text: str) -> list[str]:
    return [c for c in CORES if c in text] + [s for s in SECRETS.values() if s in text]


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_contract_secret_never_survives(redactor: Redactor, kind: str) -> None:
    for text in (SECRETS[kind], f"please deploy with {SECRETS[kind]} now", json.dumps({"v": SECRETS[kind]})):
        out = redactor.redact(text).text
        assert not _leaks(out), (kind, out)


def test_contract_planted_prompt_is_dropped(redactor: Redactor) -> None:
    text = "please deploy with " + " and ".join(SECRETS.values())
    result = redactor.redact(text)
    assert result.dropped and not _leaks(result.text)
    assert not _leaks(redactor.mask(text))


def test_planted_transcript_lines_leak_nothing(redactor: Redactor) -> None:
    """The contract's planted user line and tool result, redacted value by value."""
    text = "please deploy with " + " and ".join(SECRETS.values())
    user = {"type": "user", "cwd": SECRETS["path"], "uuid": "planted-user-1",
            "message": {"role": "user", "content": text}}
    tool = {"type": "user", "cwd": SECRETS["path"], "toolUseResult": {"stdout": text, "stderr": "", "interrupted": False},
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": text}]}}
    hits: dict[str, int] = {}
    out = json.dumps(redactor.redact_value([user, tool], hits=hits))
    assert not _leaks(out), _leaks(out)
    assert hits["home_path"] == 2 and hits["anthropic_key"] == 3
    assert '"uuid": "planted-user-1"' in out  # keys and harmless values kept


def test_real_session_with_planted_secrets(redactor: Redactor) -> None:
    """A real transcript: planted secrets vanish, ordinary content mostly stays."""
    lines = [json.loads(line) for line in FIXTURE_SESSION.read_text().splitlines() if line.strip()]
    planted = "please deploy with " + " and ".join(SECRETS.values())
    lines.insert(40, {"type": "user", "cwd": SECRETS["path"], "message": {"role": "user", "content": planted}})
    strings: list[str] = []

    def walk(o: object) -> None:
        if isinstance(o, str):
            strings.append(o)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(lines)
    results = [redactor.redact(s) for s in strings]
    assert not any(_leaks(r.text) for r in results)
    unchanged = sum(r.text == s for r, s in zip(results, strings, strict=True))
    dropped = sum(r.dropped for r in results)
    assert unchanged / len(strings) > 0.9
    assert dropped <= 3  # only the planted span; code in tool results must not be dropped


def test_redact_value_walks_and_keeps_keys(redactor: Redactor) -> None:
    value = {"/home/bob/x": ["mail bob@corp.example", 3, None, {"k": ("~/a", True)}], "n": 1.5}
    out = redactor.redact_value(value)
    assert out == {"/home/bob/x": ["mail [email]", 3, None, {"k": ("[home_path]", True)}], "n": 1.5}
    assert redactor.redact_value(value, redact_keys=True)["[home_path]"][0] == "mail [email]"
    assert redactor.redact_value({"t": SECRETS["github"]}) == {"t": "[dropped: contained github_token, github-pat]"}


def test_module_level_redact_value_uses_default() -> None:
    assert default_redactor() is default_redactor()
    assert redact_value({"e": "x alice@example.com"}) == {"e": "x [email]"}


def test_empty_text(redactor: Redactor) -> None:
    assert redactor.redact("") == RedactionResult("", False, {})


def test_extra_rules_extend_and_cannot_replace() -> None:
    extra = {"name": "ticket_id", "kind": "regex", "pattern": r"\bACME-\d{4,}\b", "risk": "medium",
             "replacement": "[ticket]"}
    r = Redactor.from_rules([extra], include_login=False)
    assert r.redact("fix ACME-12345 now").text == "fix [ticket] now"
    high = {**extra, "name": "internal_host", "pattern": r"\bvault\.acme\.internal\b", "risk": "high"}
    assert Redactor.from_rules([high], include_login=False).redact("see vault.acme.internal").dropped
    with pytest.raises(ValueError, match="duplicate"):
        Redactor.from_rules([{**extra, "name": "email"}], include_login=False)


def test_user_names_given_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    r = Redactor.from_rules(user_names=["Alice Liddell", "alicel", "al"], include_login=False)
    out = r.redact("Alice Liddell (ALICEL) wrote it; alicel2 and malicel are other words; al stays")
    assert out.text == "[user] ([user]) wrote it; alicel2 and malicel are other words; al stays"
    assert out.hits == {"user_name": 2}
    monkeypatch.setattr(redact_mod, "_login_name", lambda: "zorblax")
    assert Redactor.from_rules().redact("by zorblax").text == "by [user]"
    monkeypatch.setattr(redact_mod, "_login_name", lambda: "root")
    assert Redactor.from_rules().redact("the root cause").text == "the root cause"


BENIGN = [
    "def refresh_token(self) -> str:\n    return self._client.fetch()",
    "The password field is required; the token expires after an hour.",
    "Fixed in commit 3f2a9c1 (see also 4b825dc642cb6eb9a060e54bf8d69288fbee4904).",
    "max_tokens = 4096  # output budget",
    "if not secret: raise ValueError('secret missing')",
    "api_key = os.environ['OPENAI_API_KEY']",
    "password = get_password_from_vault()",
    "token = settings.api_token",
    "input_tokens: 1234, output_tokens: 567, cache_read_input_tokens: 89012",
    "pytest -q tests/unit/test_parser.py::test_tokens",
    "Use a Bearer token in the Authorization header.",
    "@property\ndef tokens(self): ...",
    "model claude-sonnet-4-5-20250929 routed to glm-4.6 via zai",
    "https://docs.anthropic.com/en/api/getting-started",
    "/usr/lib/python3.11/site-packages/pydantic/main.py",
    "UUID 4d5611e5-241a-462a-8d15-5122611a9569 and sha256 e3b0c44298fc1c149afbf4c8996fb924",
    "task-based routing for sk- prefixed keys is described in SECURITY.md",
    "The AKIA prefix marks long-term AWS keys.",
    "rate: ~5 requests per second, p95 latency 1200 ms",
    "const csrfToken = document.querySelector(\"meta[name='csrf-token']\")?.getAttribute('content')",
]


def test_benign_text_is_kept(redactor: Redactor) -> None:
    changed = [t for t in BENIGN if redactor.redact(t).text != t]
    assert changed == []


def test_fast_on_many_short_strings(redactor: Redactor) -> None:
    texts = [f"turn {i}: edited src/module_{i}.py, tests pass, token count {i * 7}" for i in range(10_000)]
    start = time.perf_counter()
    for t in texts:
        redactor.redact(t)
    assert time.perf_counter() - start < 3.0  # ~10 us each on a laptop; generous for slow CI


@pytest.mark.parametrize("unit", ["eyJ", "token", "sk-", "a@b", "~a/", "-home-", "C:", "a://b:", "password=",
                                  "-----BEGIN RSA PRIVATE KEY-----", "x" * 50 + " ", "Bearer "])
def test_no_quadratic_blowup(redactor: Redactor, unit: str) -> None:
    """Long machine output (base64 blobs, minified code) must not stall a run: every rule is linear."""
    text = unit * (300_000 // len(unit))
    start = time.perf_counter()
    redactor.redact(text)
    assert time.perf_counter() - start < 2.0
