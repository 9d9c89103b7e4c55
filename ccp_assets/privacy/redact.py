"""Layered redactor for free text that may leave the machine (full tier).

Layers (rules are data: `rules_v1.json`, plus extra rules from policy packs, plus a user-name rule):
provider tokens and keys, generic high-entropy assignments, emails, home paths, user names.

Policy: a span with any high-risk match (provider keys, private keys, JWTs, credentials) is dropped whole:
`RedactionResult.text` becomes a marker such as ``[dropped: contained anthropic_key]`` and `dropped` is
True. We chose a marker over None so JSON shapes stay valid (a string stays a string) and readers see why
text is missing; it names rule names only, never content. A surgical replacement could leave half of a
wrapped or mangled key behind, a dropped span cannot. Medium-risk matches (emails, home paths, user
names) are replaced by typed placeholders such as ``[email]`` and the rest of the span is kept.

Known limits: words-only passphrases (`correct-horse-battery`) and bare 40-character AWS secrets without
a key name are not recognised; a Windows path keeps its drive letter (``C[home_path]``).
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .rules import Rule, packaged_rules, parse_rules

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


class Redactor:
    """Applies compiled rules: all high rules first (any hit drops the span), then medium rules in order."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate redaction rule names (extra rules may add, not replace): {dupes}")
        self._high = tuple((r, r.regex) for r in self.rules if r.risk == "high")
        self._medium = tuple((r, r.regex) for r in self.rules if r.risk == "medium")

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
        rules = packaged_rules() + parse_rules(extra_rules)
        names = list(user_names)
        if include_login:
            login = _login_name()
            if login and login.lower() not in GENERIC_LOGINS:
                names.append(login)
        name_rule = user_name_rule(names)
        return cls(rules + ([name_rule] if name_rule else []))

    def redact(self, text: str) -> RedactionResult:
        """Redact one text span (see module docstring for drop vs replace)."""
        if not text:
            return RedactionResult(text, False, {})
        high: dict[str, int] = {}
        for rule, regex in self._high:
            if regex.search(text) is None:
                continue
            n = sum(1 for m in regex.finditer(text) if rule.accepts(m))
            if n:
                high[rule.name] = n
        if high:
            return RedactionResult(dropped_marker(high), True, high)
        hits: dict[str, int] = {}
        for rule, regex in self._medium:
            if regex.search(text) is None:
                continue
            text, n = _substitute(rule, regex, text, rule.replacement)
            if n:
                hits[rule.name] = n
        return RedactionResult(text, False, hits)

    def mask(self, text: str) -> str:
        """Replace every match, high-risk ones included, by its placeholder; for log lines and error
        messages where dropping the whole line would hide what happened. Not for uploads."""
        for rule, regex in self._high + self._medium:
            if regex.search(text) is not None:
                text, _ = _substitute(rule, regex, text, rule.replacement)
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


def _substitute(rule: Rule, regex: re.Pattern[str], text: str, replacement: str) -> tuple[str, int]:
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        if rule.accepts(m):
            count += 1
            return replacement
        return m.group(0)

    return regex.sub(repl, text), count


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    """Packaged rules plus the login name, built once per process."""
    return Redactor.from_rules()


def redact_value(obj: Any, *, redact_keys: bool = False) -> Any:
    """`default_redactor().redact_value(obj)`: the one-call form for callers without a policy pack."""
    return default_redactor().redact_value(obj, redact_keys=redact_keys)
