"""Property tests: a planted secret of every kind, in random surrounding text, never survives redaction;
ordinary prose and code built from tricky words does."""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ccp_assets.privacy.redact import Redactor

REDACTOR = Redactor.from_rules(include_login=False)
SETTINGS = settings(max_examples=150, deadline=None, database=None)

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
LEFT_SEPS = [" ", "\n", "\t", '"', "'", "=", ":", "(", "[", "> "]
RIGHT_SEPS = [" ", "\n", "\t", '"', "'"]


def chars(alphabet: str, lo: int, hi: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=lo, max_size=lo if hi is None else hi)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Each planted secret is (full text to plant, distinctive core that must not survive, rule names that may fire).
Planted = tuple[str, str, frozenset[str]]


def _planted(strategy: st.SearchStrategy[tuple[str, str]], *names: str) -> st.SearchStrategy[Planted]:
    return strategy.map(lambda pc: (pc[0], pc[1], frozenset(names)))


anthropic = _planted(st.builds(
    lambda kind, body: ("sk-ant-" + kind + body, body),
    st.sampled_from(["api03-", "admin01-", "oat01-", ""]), chars(ALNUM + "_-", 24, 100)), "anthropic_key")
openai = _planted(st.builds(
    lambda kind, body: ("sk-" + kind + body, body),
    st.sampled_from(["", "proj-", "svcacct-", "admin-"]), chars(ALNUM + "_-", 24, 120)), "openai_key", "anthropic_key")
github = _planted(st.one_of(
    st.builds(lambda p, b: (p + b, b), st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]), chars(ALNUM, 36)),
    st.builds(lambda b: ("github_pat_" + b, b), chars(ALNUM + "_", 82))), "github_token")
aws_key = _planted(st.builds(lambda p, b: (p + b, p + b), st.sampled_from(["AKIA", "ASIA"]), chars(UPPER_DIGITS, 16)),
                   "aws_access_key_id")
aws_secret = _planted(st.builds(
    lambda name, op, v: (f"{name}{op}{v}", v),
    st.sampled_from(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", '"aws_secret_access_key"']),
    st.sampled_from(["=", " = ", ": ", '="', ": '"]), chars(B64, 40)), "aws_secret_access_key", "secret_assignment")
slack = _planted(st.builds(lambda t, b: (f"xox{t}-{b}", b), st.sampled_from("abprs"), chars(ALNUM + "-", 12, 60)),
                 "slack_token")


@st.composite
def jwts(draw: st.DrawFn) -> tuple[str, str]:
    header = {"alg": draw(st.sampled_from(["HS256", "RS256", "ES256", "none"])), "typ": "JWT"}
    payload = draw(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=20),
                                   min_size=1, max_size=5))
    sig = draw(st.binary(min_size=16, max_size=64))
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{body}.{b64url(sig)}", body


@st.composite
def pems(draw: st.DrawFn) -> tuple[str, str]:
    label = draw(st.sampled_from(["RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY",
                                  "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "PGP PRIVATE KEY BLOCK"]))
    lines = draw(st.lists(chars(B64, 64), min_size=1, max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]), lines[0]


def _random_hex(rnd: random.Random) -> str:
    """Real random hex keys and UUID-shaped keys (hypothesis' own bytes lean towards zeros: no entropy)."""
    if rnd.random() < 0.5:
        return str(uuid.UUID(int=rnd.getrandbits(128)))
    return rnd.getrandbits(4 * 40).to_bytes(20, "big").hex()[: rnd.randint(32, 40)]


@st.composite
def assignments(draw: st.DrawFn) -> tuple[str, str]:
    unique = draw(st.lists(st.sampled_from(ALNUM + "+/=_-.~!@#$%^&*"), min_size=18, max_size=40, unique=True))
    value = "".join(unique) + draw(st.sampled_from(string.digits)) + draw(st.sampled_from(string.ascii_letters))
    if draw(st.booleans()):
        value = _random_hex(draw(st.randoms(use_true_random=True)))
        assume(any(c.isdigit() for c in value) and any(c.isalpha() for c in value))
    key = draw(st.sampled_from(["password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "API-KEY",
                                "access_key", "client_secret", "GITHUB_TOKEN", "DB_PASSWORD", "auth_key",
                                "private_key", "SESSION_KEY", "credentials"]))
    template = draw(st.sampled_from(["{k}={v}", "{k}: {v}", '{k} = "{v}"', '"{k}": "{v}"', "{k}=>{v}",
                                     "export {k}={v}", "--{k}={v}"]))
    return template.format(k=key, v=value), value


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    local = draw(chars(string.ascii_lowercase + string.digits, 1, 10)) + draw(
        st.sampled_from(["", ".", "_", "+", "-"])) + draw(chars(string.ascii_lowercase + string.digits, 1, 10))
    labels = draw(st.lists(chars(string.ascii_lowercase + string.digits, 1, 12), min_size=1, max_size=3))
    tld = draw(chars(string.ascii_lowercase, 2, 6))
    email = f"{local}@{'.'.join(labels)}.{tld}"
    return email, email


SEGMENT = chars(string.ascii_letters + string.digits + "._-", 1, 12)
USER = st.builds(lambda a, b: a + b, chars(string.ascii_lowercase, 1), chars(string.ascii_lowercase + string.digits, 5, 12))


@st.composite
def home_paths(draw: st.DrawFn) -> tuple[str, str]:
    user = draw(USER)
    rest = draw(st.lists(SEGMENT, min_size=1, max_size=4))
    style = draw(st.sampled_from(["linux", "mac", "windows", "windows_json", "windows_fwd", "tilde", "claude"]))
    if style == "linux":
        return "/home/" + "/".join([user, *rest]), user
    if style == "mac":
        return "/Users/" + "/".join([user, *rest]), user
    if style == "windows":
        return "C:\\Users\\" + "\\".join([user, *rest]), user
    if style == "windows_json":
        return "D:\\\\Users\\\\" + "\\\\".join([user, *rest]), user
    if style == "windows_fwd":
        return "c:/Users/" + "/".join([user, *rest]), user
    if style == "tilde":
        return "~/" + "/".join([user, *rest]), user  # here `user` is just a distinctive first directory
    return "-home-" + "-".join([user, *(s.replace(".", "-") for s in rest)]), user


SECRET_KINDS: dict[str, st.SearchStrategy[Planted]] = {
    "anthropic": anthropic, "openai": openai, "github": github, "aws_key": aws_key, "aws_secret": aws_secret,
    "slack": slack, "jwt": _planted(jwts(), "jwt", "jwt_loose"), "pem": _planted(pems(), "pem_private_key"),
    "assignment": _planted(assignments(), "secret_assignment"), "email": _planted(emails(), "email"),
    # a path of random-looking names can be a 32+ character high-entropy run: dropped, which is stricter
    "home_path": _planted(home_paths(), "home_path", "claude_project_dir", "high_entropy_token"),
}
HIGH = {"anthropic", "openai", "github", "aws_key", "aws_secret", "slack", "jwt", "pem", "assignment"}
SURROUNDING = st.text(max_size=60)


def _check(kind: str) -> Callable[..., None]:
    @SETTINGS
    @given(planted=SECRET_KINDS[kind], before=SURROUNDING, after=SURROUNDING,
           left=st.sampled_from(LEFT_SEPS), right=st.sampled_from(RIGHT_SEPS))
    def check(planted: Planted, before: str, after: str, left: str, right: str) -> None:
        secret, core, names = planted
        assume(core not in before and core not in after)
        result = REDACTOR.redact(before + left + secret + right + after)
        assert core not in result.text
        assert secret not in result.text
        assert names & set(result.hits), result.hits
        if kind in HIGH:
            assert result.dropped
    return check


test_anthropic_never_survives = _check("anthropic")
test_openai_never_survives = _check("openai")
test_github_never_survives = _check("github")
test_aws_access_key_never_survives = _check("aws_key")
test_aws_secret_never_survives = _check("aws_secret")
test_slack_never_survives = _check("slack")
test_jwt_never_survives = _check("jwt")
test_pem_never_survives = _check("pem")
test_entropy_assignment_never_survives = _check("assignment")
test_email_never_survives = _check("email")
test_home_path_never_survives = _check("home_path")


@SETTINGS
@given(planted=st.lists(st.sampled_from(sorted(SECRET_KINDS)).flatmap(lambda k: SECRET_KINDS[k]),
                        min_size=2, max_size=5),
       filler=st.lists(SURROUNDING, min_size=6, max_size=6))
def test_mixed_secrets_never_survive_redact_value(planted: list[Planted], filler: list[str]) -> None:
    text = " ".join(f"{filler[i]} {p[0]} " for i, p in enumerate(planted))
    assume(not any(p[1] in f for p in planted for f in filler))
    out = json.dumps(REDACTOR.redact_value({"content": text, "nested": [{"stdout": text}]}))
    for secret, core, _ in planted:
        assert core not in out and json.dumps(core)[1:-1] not in out
        assert json.dumps(secret)[1:-1] not in out


BENIGN_WORDS = [
    "the", "a", "token", "tokens", "password", "secret", "key", "api", "function", "returns", "commit", "fixed",
    "bug", "in", "parser", "with", "def", "class", "return", "None", "=", "==", ":", "(", ")", "{", "}", "#",
    "->", "TODO", "user", "home", "path", "email", "@property", "x", "y", "1", "42", "2026-01-31", "3.14",
    "Bearer", "basic", "sk", "AKIA", "ghp", "max_tokens", "input_tokens", "self.token", "os.environ",
    "get_secret()", "claude-sonnet-4-5", "glm-4.6", "p95", "latency", "ms", "src/app/main.py", "/usr/bin/env",
    "~", "-", "--verbose", "https://example.com/docs", "v1.2.3", "README.md", "token:", "secret=", "model:",
    "claude-sonnet-4-5-20250929", "get_password_from_vault", "document.querySelector", "2026-02-01T10:00:00Z",
]
SHORT_HEX = chars("0123456789abcdef", 7, 12)


@SETTINGS
@given(words=st.lists(st.one_of(st.sampled_from(BENIGN_WORDS), SHORT_HEX), min_size=1, max_size=40),
       joiner=st.sampled_from([" ", "\n", " ", "  "]))
def test_benign_prose_and_code_survive(words: list[str], joiner: str) -> None:
    text = joiner.join(words)
    result = REDACTOR.redact(text)
    assert not result.dropped
    assert result.text == text, result.hits
