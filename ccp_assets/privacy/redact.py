"""Layered redactor for free text that may leave the machine (full tier).

Layers (rules are data: `rules_v2.json`, plus extra rules from policy packs, plus a user-name rule):
provider tokens and keys (gitleaks' rule set and ours), generic `key = value` and password rules, bare
high-entropy tokens, emails, home paths, user names.

Speed: a rule with keywords runs only on text containing one of them (gitleaks' prefilter), found for all
rules at once by one Aho-Corasick pass over the lower-cased text (pyahocorasick); rules without keywords
run on every text; semi-generic rules search a cheaper `quick` form first (rules.py). On the fixture
transcripts (33,544 strings, 3.0 M characters; bench/redact.py) the 14 rules of v1 take 0.20 s CPU, the
240 rules of v2 0.48 s (1.45 s before the prefilter and quick forms).

Policy: a span with any high-risk match (provider keys, private keys, JWTs, credentials) is dropped whole:
`RedactionResult.text` becomes a marker such as ``[dropped: contained anthropic_key]`` and `dropped` is
True. We chose a marker over None so JSON shapes stay valid (a string stays a string) and readers see why
text is missing; it names rule names only, never content. A surgical replacement could leave half of a
wrapped or mangled key behind, a dropped span cannot. Medium-risk matches (emails, home paths, user
names) are replaced by typed placeholders such as ``[email]`` and the rest of the span is kept.

Known limits: words-only passphrases (`correct-horse-battery`) without a key name are not recognised; a
Windows path keeps its drive letter (``C[home_path]``).
"""

from __future__ import annotations

import functools
import getpass
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ParamSpec, TypeVar

from .rules import Allowlist, Rule, packaged_document, parse_rules

P = ParamSpec("P")
R = TypeVar("R")

# Logins shared by many machines (containers, CI); redacting them would shred ordinary words.
GENERIC_LOGINS = frozenset({
    "root", "user", "users", "admin", "ubuntu", "debian", "runner", "vscode", "node", "app", "dev",
    "developer", "builder", "jenkins", "gitlab-runner", "nobody", "codespace", "guest", "test", "ec2-user",
})
MIN_NAME_LENGTH = 3
USER_NAME_RULE = "user_name"


def dropped_marker(names: Iterable[str]) -> str:
    """What replaces a dropped span: says why, never what."""
    return f"[dropped: contained {', '.join(names)}]"


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """`text` is the redacted text, or the dropped marker when `dropped`; `hits` counts matches per rule
    (when dropped: only the high-risk rules, medium rules are not evaluated)."""

    text: str
    dropped: bool
    hits: dict[str, int] = field(default_factory=dict)


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers: nothing to redact then
        return None


def user_name_rule(names: Iterable[str]) -> Rule | None:
    """A medium rule matching the given names as whole words, case-insensitively, longest first."""
    usable = sorted({n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}, key=len, reverse=True)
    if not usable:
        return None
    alternation = "|".join(re.escape(n) for n in usable)
    return Rule(name=USER_NAME_RULE, kind="regex", risk="medium", replacement="[user]",
                pattern=f"(?i)(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])")


class _Prefilter:
    """Which rules can match a text: those without keywords, plus those with a keyword found in it."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        import ahocorasick  # lazily: only processes that redact pay for it

        self.always = frozenset(i for i, r in enumerate(rules) if not r.keywords)
        by_word: dict[str, set[int]] = {}
        for i, r in enumerate(rules):
            for k in r.keywords:
                by_word.setdefault(k, set()).add(i)
        self.automaton = None
        if by_word:
            self.automaton = ahocorasick.Automaton()
            for word, ids in by_word.items():
                self.automaton.add_word(word, frozenset(ids))
            self.automaton.make_automaton()

    def candidates(self, text: str) -> frozenset[int] | set[int]:
        if self.automaton is None:
            return self.always
        found: set[int] = set(self.always)
        seen: set[frozenset[int]] = set()
        for _, ids in self.automaton.iter(text.lower()):
            if ids not in seen:
                seen.add(ids)
                found |= ids
        return found


class Redactor:
    """Applies compiled rules: all high rules first (any hit drops the span), then medium rules in order."""

    def __init__(self, rules: Iterable[Rule], global_allowlist: Allowlist | None = None) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate redaction rule names (extra rules may add, not replace): {dupes}")
        glob = (global_allowlist,) if global_allowlist is not None else ()
        self._allow = tuple(glob if r.global_allowlist else () for r in self.rules)
        self._high = tuple(i for i, r in enumerate(self.rules) if r.risk == "high")
        self._medium = tuple(i for i, r in enumerate(self.rules) if r.risk == "medium")
        self._prefilter = _Prefilter(self.rules)

    def _hits(self, i: int, text: str) -> int:
        rule, allow = self.rules[i], self._allow[i]
        if len(text) < rule.min_length or rule.quick.search(text) is None:
            return 0
        return sum(1 for m in rule.finditer(text) if rule.accepts(m, allow))

    @classmethod
    def from_rules(
        cls,
        extra_rules: Iterable[Rule | Mapping[str, Any]] = (),
        *,
        user_names: Iterable[str] = (),
        include_login: bool = True,
    ) -> Redactor:
        """Packaged rules, then `extra_rules` (e.g. from a policy pack), then a rule for user names: the
        caller's plus the current login name unless it is generic (root, runner, ...)."""
        packaged, glob = packaged_document()
        rules = packaged + parse_rules(extra_rules)
        names = list(user_names)
        if include_login:
            login = _login_name()
            if login and login.lower() not in GENERIC_LOGINS:
                names.append(login)
        name_rule = user_name_rule(names)
        return cls(rules + ([name_rule] if name_rule else []), glob)

    def redact(self, text: str) -> RedactionResult:
        """Redact one text span (see module docstring for drop vs replace)."""
        if not text:
            return RedactionResult(text, False, {})
        candidates = self._prefilter.candidates(text)
        high: dict[str, int] = {}
        for i in self._high:
            if i in candidates and (n := self._hits(i, text)):
                high[self.rules[i].name] = n
        if high:
            return RedactionResult(dropped_marker(high), True, high)
        hits: dict[str, int] = {}
        for i in self._medium:
            if i not in candidates:
                continue
            rule = self.rules[i]
            if len(text) < rule.min_length or rule.quick.search(text) is None:
                continue
            text, n = _substitute(rule, text, self._allow[i])
            if n:
                hits[rule.name] = n
        return RedactionResult(text, False, hits)

    def mask(self, text: str) -> str:
        """Replace every secret, high-risk ones included, by its placeholder; for log lines, errors and
        check messages, where dropping the whole line would hide what happened. Not for uploads.

        All rules are matched on the same text first, then overlapping spans are merged and replaced
        once (replacing rule by rule let one rule's placeholder break another's match and leave half a
        token). A `key = value` match keeps its key: only the secret and what follows it is masked."""
        for _ in range(3):  # a placeholder can join the parts of a text into a new match: mask again
            spans: list[tuple[int, int, int]] = []
            candidates = self._prefilter.candidates(text)
            for i in self._high + self._medium:
                rule = self.rules[i]
                if i not in candidates or len(text) < rule.min_length or rule.quick.search(text) is None:
                    continue
                spans += [(*_mask_span(rule, m), i) for m in rule.finditer(text) if rule.accepts(m, self._allow[i])]
            if not spans:
                break
            text = _replace_spans(text, spans, self.rules)
        return text

    def redact_value(self, obj: Any, *, redact_keys: bool = False, hits: dict[str, int] | None = None) -> Any:
        """Copy of a JSON-like value with every string redacted (dropped strings become the marker).
        Dict keys are kept unless `redact_keys` (then keys redacting to the same placeholder collide and
        the last one wins); `hits`, if given, accumulates counts per rule."""
        if isinstance(obj, str):
            result = self.redact(obj)
            if hits is not None:
                for name, n in result.hits.items():
                    hits[name] = hits.get(name, 0) + n
            return result.text
        if isinstance(obj, Mapping):
            return {
                (self.redact_value(k, hits=hits) if redact_keys and isinstance(k, str) else k):
                    self.redact_value(v, redact_keys=redact_keys, hits=hits)
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            items = [self.redact_value(v, redact_keys=redact_keys, hits=hits) for v in obj]
            return items if isinstance(obj, list) else tuple(items)
        return obj


_DELIMITERS = "\"'` \t;\\nr"


def _mask_span(rule: Rule, m: re.Match[str]) -> tuple[int, int]:
    """The part of a match to mask: from the secret to the end of the match (delimiters after the secret
    kept), or the whole match when the secret is short (a repeated group, a fragment) or is the match."""
    start, end = rule.secret_span(m)
    if (start, end) == m.span() or end - start < 8:
        return m.span()
    if m.string[end:m.end()].strip(_DELIMITERS) == "":
        return start, end
    return start, m.end()


def _replace_spans(text: str, spans: list[tuple[int, int, int]], rules: tuple[Rule, ...]) -> str:
    """Merge overlapping spans; each merged span becomes the placeholder of its first rule."""
    out: list[str] = []
    last = 0
    cur: list[int] | None = None
    for start, end, i in sorted(spans):
        if cur is not None and start < cur[1]:
            cur[1] = max(cur[1], end)
            cur[2] = min(cur[2], i)
            continue
        if cur is not None:
            out += [text[last:cur[0]], rules[cur[2]].replacement]
            last = cur[1]
        cur = [max(start, last), end, i]
    if cur is not None:
        out += [text[last:cur[0]], rules[cur[2]].replacement]
        last = cur[1]
    out.append(text[last:])
    return "".join(out)


def _substitute(rule: Rule, text: str, allow: tuple[Allowlist, ...]) -> tuple[str, int]:
    """Replace accepted matches (or only their secret part) by the rule's placeholder; returns the count."""
    out: list[str] = []
    last = 0
    for m in rule.finditer(text):
        if not rule.accepts(m, allow):
            continue
        start, end = m.span()
        out += [text[last:start], rule.replacement]
        last = end
    if not out:
        return text, 0
    out.append(text[last:])
    return "".join(out), len(out) // 2


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    """Packaged rules plus the login name, built once per process."""
    return Redactor.from_rules()


def redact_value(obj: Any, *, redact_keys: bool = False) -> Any:
    """`default_redactor().redact_value(obj)`: the one-call form for callers without a policy pack."""
    return default_redactor().redact_value(obj, redact_keys=redact_keys)


def mask_text(text: str) -> str:
    """`default_redactor().mask(text)`: a message (log line, error, check summary) with every secret,
    email, home path and user name replaced by its placeholder."""
    return default_redactor().mask(text) if text else text


def mask_value(obj: Any) -> Any:
    """A copy of a JSON-like value (metadata, a check report) with every string masked; keys too."""
    if isinstance(obj, str):
        return mask_text(obj)
    if isinstance(obj, Mapping):
        return {(mask_text(k) if isinstance(k, str) else k): mask_value(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        items = [mask_value(v) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj


def masked(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: mask whatever `fn` returns (a message or a report), the one wrapper for places that
    build messages from raw values (drift-check summaries and reports)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return mask_value(fn(*args, **kwargs))

    return wrapper
