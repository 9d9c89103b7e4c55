"""Redaction rules as data: validated once, so a bad rule (from the package or a policy pack) fails loudly
at load time instead of silently letting secrets through.

`rules_v2.json` holds our own rules plus gitleaks' rule set (ported by tests/privacy/gitleaks_port: ids,
regexes translated from RE2, keywords, entropy thresholds, allowlists). A rule's `keywords` (lower case)
are a prefilter, as in gitleaks: the rule runs only on text containing one of them. A match counts unless
its secret (the `secret_group`, else the first non-empty group, else the match) is at or under
`secret_entropy` bits per character or an allowlist (the document's global one when `global_allowlist`,
then the rule's own) allows it. Documents of schema v1 (policy packs, older files) still load."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RULES_RESOURCE = "rules_v2.json"
RULES_SCHEMA = "ccp.redaction_rules.v2"
SCHEMAS = ("ccp.redaction_rules.v1", RULES_SCHEMA)


def shannon_entropy(value: str) -> float:
    """Bits per character; random keys score high, words and identifiers low."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


# Words and numbers joined by separators (`claude-sonnet-4-5`, `src/app/main.py`): names, not keys.
_WORDY = re.compile(r"(?:[A-Za-z]+|\d+)(?:[-._/](?:[A-Za-z]+|\d+))+")
_HEXISH = re.compile(r"[0-9a-fA-F\-]+")
HEX_MIN_ENTROPY = 3.0
_LAZY_PREFIX = re.compile(r"^(\(\?i\))?\[\\w\.-\]\{0,50\}\?")


def looks_random(value: str, min_entropy: float) -> bool:
    """Entropy alone flags long identifiers (`get_password_from_vault`, `document.querySelector`), so also
    ask for mixed classes (a digit and a letter, or lower, upper and a symbol other than `.` and `_`) and
    reject values made only of whole words and numbers."""
    if _HEXISH.fullmatch(value):  # 16 symbols cap entropy at 4 bits: a random hex key scores ~3.4-3.9
        min_entropy = min(min_entropy, HEX_MIN_ENTROPY)
    if shannon_entropy(value) < min_entropy or _WORDY.fullmatch(value):
        return False
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() and c not in "._" for c in value)
    return (digit and (lower or upper)) or (lower and upper and symbol)


_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")


def first_chars(pattern: str) -> str | None:
    """The characters a match of `pattern` can start with, as a class body, or None when unknown or
    unbounded. Python's engine skips ahead with a literal prefix or a plain set but not through a
    case-insensitive alternation such as gitleaks' `(?i)(?:access|auth|...)`; a lookahead on this class
    lets it skip (3x faster on generic-api-key, measured on the fixture transcripts)."""
    import re._constants as c  # type: ignore[import-not-found]
    import re._parser as p  # type: ignore[import-not-found]

    try:
        tree = p.parse(pattern)
    except re.error:
        return None
    ignore = bool(tree.state.flags & re.IGNORECASE)

    def first(items: list, icase: bool) -> set[str] | None:
        for op, av in items:
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            if op == c.LITERAL:
                ch = chr(av)
                return {ch.lower(), ch.upper()} if icase else {ch}
            if op == c.IN:
                out: set[str] = set()
                for iop, iav in av:
                    if iop == c.LITERAL:
                        out.add(chr(iav))
                    elif iop == c.RANGE and iav[1] - iav[0] < 128:
                        out |= {chr(x) for x in range(iav[0], iav[1] + 1)}
                    else:
                        return None  # categories, negation: not worth it
                return {x for ch in out for x in (ch.lower(), ch.upper())} if icase else out
            if op == c.SUBPATTERN:
                _, add, dele, sub = av
                sub_icase = (icase or bool(add & re.IGNORECASE)) and not (dele & re.IGNORECASE)
                return first(list(sub), sub_icase)
            if op == c.BRANCH:
                out = set()
                for alt in av[1]:
                    f = first(list(alt), icase)
                    if f is None:
                        return None
                    out |= f
                return out
            if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                return first(list(av[2]), icase)
            return None
        return None

    chars = first(list(tree), ignore)
    if not chars or len(chars) > 40 or any(len(ch) != 1 for ch in chars):
        return None
    return "".join(re.escape(ch) if ch in "\\]^-[" else ch for ch in sorted(chars))


class Allowlist(BaseModel):
    """gitleaks' allowlist: a finding is allowed when a regex matches its `target` (the secret, the whole
    match or its line) or its secret contains a stop word; with condition "and", all of those that are
    given must hold (a path condition can never hold here: a text span has no path)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    target: Literal["secret", "match", "line"] = "secret"
    condition: Literal["or", "and"] = "or"
    regexes: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    has_paths: bool = False

    @cached_property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(r) for r in self.regexes)

    def allows(self, secret: str, match: str, line: str) -> bool:
        target = {"secret": secret, "match": match, "line": line}[self.target]
        by_regex = any(r.search(target) for r in self.compiled)
        lower = secret.lower()
        by_word = any(w in lower for w in self.stopwords)
        if self.condition == "and":
            checks = ([False] if self.has_paths else []) + ([by_regex] if self.regexes else []) + \
                ([by_word] if self.stopwords else [])
            return bool(checks) and all(checks)
        return by_regex or by_word


class Rule(BaseModel):
    """One redaction rule. `kind` "regex": every match counts (subject to `secret_entropy` and the
    allowlists). `kind` "entropy": the pattern must have a named group `value`, and a match counts only
    when that value `looks_random` at `min_entropy`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    description: str = ""
    kind: Literal["regex", "entropy"] = "regex"
    pattern: str = Field(min_length=1)
    risk: Literal["high", "medium"]
    replacement: str = Field(pattern=r"^\[[a-z0-9_\- ]{1,64}\]$")
    min_entropy: float | None = Field(default=None, ge=0.0, le=8.0)
    keywords: tuple[str, ...] = ()
    secret_group: int = Field(default=0, ge=0)
    secret_entropy: float | None = Field(default=None, ge=0.0, le=8.0)
    allowlists: tuple[Allowlist, ...] = ()
    global_allowlist: bool = False
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> Rule:
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"rule {self.name}: pattern does not compile: {exc}") from exc
        if compiled.search("") is not None:
            raise ValueError(f"rule {self.name}: pattern matches the empty string")
        if any(k != k.lower() or not k for k in self.keywords):
            raise ValueError(f"rule {self.name}: keywords must be non-empty and lower case")
        for a in self.allowlists:
            for r in a.regexes:
                try:
                    re.compile(r)
                except re.error as exc:
                    raise ValueError(f"rule {self.name}: allowlist regex does not compile: {exc}") from exc
        if self.kind == "entropy":
            if "value" not in compiled.groupindex:
                raise ValueError(f"rule {self.name}: entropy rules need a (?P<value>...) group")
            if self.min_entropy is None:
                raise ValueError(f"rule {self.name}: entropy rules need min_entropy")
        elif self.min_entropy is not None:
            raise ValueError(f"rule {self.name}: min_entropy only applies to kind 'entropy'")
        return self

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Compiled once per rule object (re's own cache is small and shared)."""
        return re.compile(self.pattern)

    @cached_property
    def quick(self) -> re.Pattern[str]:
        """A regex that matches wherever `regex` does, cheaper to search. gitleaks' semi-generic rules
        start with a lazy identifier prefix `[\\w.-]{0,50}?` that Python's engine retries at every
        position (generic-api-key alone cost 1.07 s of 1.45 s on the fixture transcripts); the rest of
        the pattern matches wherever the whole does (the prefix may be empty), so it is searched first."""
        m = _LAZY_PREFIX.match(self.pattern)
        pattern = (m.group(1) or "") + self.pattern[m.end():] if m else self.pattern
        # only where the engine cannot skip by itself: case-insensitive or alternative starts
        first = first_chars(pattern) if re.match(r"^(?:\(\?[a-z]*i[a-z]*\)|\(\?i:|\(\?:)", pattern) else None
        if first is None:
            return re.compile(pattern) if m else self.regex
        flags = _GLOBAL_FLAGS.match(pattern)
        head = flags.group(0) if flags else ""
        return re.compile(f"{head}(?=[{first}]){pattern[len(head):]}")

    @cached_property
    def min_length(self) -> int:
        """The shortest text a match needs: shorter texts (most ids, names, timestamps) skip the rule."""
        import re._parser as p  # type: ignore[import-not-found]

        return p.parse(self.pattern).getwidth()[0]

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """`regex.finditer(text)`, but for a rule with a `quick` form the full pattern is only searched
        from 50 characters before each quick match (its prefix is at most 50 long): on long tool output
        this halves generic-api-key's time."""
        if self.quick is self.regex:
            yield from self.regex.finditer(text)
            return
        pos = 0
        for q in self.quick.finditer(text):
            if q.start() < pos:
                continue
            m = self.regex.search(text, max(pos, q.start() - 50))
            if m is None:
                return
            yield m
            pos = max(m.end(), m.start() + 1)

    def secret_span(self, match: re.Match[str]) -> tuple[int, int]:
        """Where the secret is: the `secret_group`, else the first non-empty group, else the match."""
        if self.secret_group:
            return match.span(self.secret_group)
        for i in range(1, (match.re.groups or 0) + 1):
            if match.group(i):
                return match.span(i)
        return match.span()

    def accepts(self, match: re.Match[str], allow: tuple[Allowlist, ...] = ()) -> bool:
        """Whether a regex match is a real hit: entropy rules check their value group; other rules check
        the secret's entropy against `secret_entropy` and the allowlists (`allow` = the global ones)."""
        if self.kind == "entropy":
            return looks_random(match.group("value"), self.min_entropy or 0.0)
        if self.secret_entropy is None and not self.allowlists and not allow:
            return True
        start, end = self.secret_span(match)
        text = match.string
        secret = text[start:end]
        if self.secret_entropy is not None and shannon_entropy(secret) <= self.secret_entropy:
            return False
        lists = allow + self.allowlists
        if not lists:
            return True
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start:line_end if line_end != -1 else len(text)]
        whole = match.group(0).strip("\n")
        return not any(a.allows(secret, whole, line) for a in lists)


def parse_document(data: Iterable[Rule | Mapping[str, Any]] | Mapping[str, Any]) -> tuple[list[Rule], Allowlist | None]:
    """Rules and the global allowlist of a rules document (or a bare list of rules: no global list)."""
    glob = None
    if isinstance(data, Mapping):
        schema = data.get("schema", RULES_SCHEMA)
        if schema not in SCHEMAS:
            raise ValueError(f"unsupported redaction rules schema {schema!r}")
        if data.get("global_allowlist"):
            glob = Allowlist.model_validate(data["global_allowlist"])
        data = data.get("rules", [])
    return [r if isinstance(r, Rule) else Rule.model_validate(r) for r in data], glob


def parse_rules(data: Iterable[Rule | Mapping[str, Any]] | Mapping[str, Any]) -> list[Rule]:
    """Accept a list of rule objects or a `{"schema", "rules": [...]}` document (packaged file, policy pack)."""
    return parse_document(data)[0]


def packaged_document() -> tuple[list[Rule], Allowlist | None]:
    """The rules shipped in the package (`rules_v2.json`) and their global allowlist."""
    rules, glob = _packaged()
    return list(rules), glob


@lru_cache(maxsize=1)
def _packaged() -> tuple[tuple[Rule, ...], Allowlist | None]:
    """Parsed and validated once per process (240 rules: ~0.1 s); rules are frozen, so sharing them also
    shares their compiled regexes between redactors (one per upload pass with a policy pack)."""
    text = resources.files(__package__).joinpath(RULES_RESOURCE).read_text(encoding="utf-8")
    rules, glob = parse_document(json.loads(text))
    return tuple(rules), glob


def packaged_rules() -> list[Rule]:
    """The rules shipped in the package (`rules_v2.json`)."""
    return packaged_document()[0]
