"""Redaction rules as data: validated once, so a bad rule (from the package or a policy pack) fails loudly
at load time instead of silently letting secrets through."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cached_property
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RULES_RESOURCE = "rules_v1.json"
RULES_SCHEMA = "ccp.redaction_rules.v1"


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


class Rule(BaseModel):
    """One redaction rule. `kind` "regex": every match counts. `kind` "entropy": the pattern must have a
    named group `value`, and a match counts only when that value `looks_random` at `min_entropy`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str = ""
    kind: Literal["regex", "entropy"] = "regex"
    pattern: str = Field(min_length=1)
    risk: Literal["high", "medium"]
    replacement: str = Field(pattern=r"^\[[a-z0-9_ ]{1,40}\]$")
    min_entropy: float | None = Field(default=None, ge=0.0, le=8.0)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"rule {self.name}: pattern does not compile: {exc}") from exc
        if compiled.search("") is not None:
            raise ValueError(f"rule {self.name}: pattern matches the empty string")
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

    def accepts(self, match: re.Match[str]) -> bool:
        """Whether a regex match is a real hit (entropy rules check their value group)."""
        if self.kind == "regex":
            return True
        return looks_random(match.group("value"), self.min_entropy or 0.0)


def parse_rules(data: Iterable[Rule | Mapping[str, Any]] | Mapping[str, Any]) -> list[Rule]:
    """Accept a list of rule objects or a `{"schema", "rules": [...]}` document (packaged file, policy pack)."""
    if isinstance(data, Mapping):
        schema = data.get("schema", RULES_SCHEMA)
        if schema != RULES_SCHEMA:
            raise ValueError(f"unsupported redaction rules schema {schema!r}")
        data = data.get("rules", [])
    return [r if isinstance(r, Rule) else Rule.model_validate(r) for r in data]


def packaged_rules() -> list[Rule]:
    """The rules shipped in the package (`rules_v1.json`)."""
    text = resources.files(__package__).joinpath(RULES_RESOURCE).read_text(encoding="utf-8")
    return parse_rules(json.loads(text))
