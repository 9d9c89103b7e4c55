"""Go RE2 regex syntax -> Python `re` syntax, and strings generated from a regex (gitleaks' `NewSecret`).

Only what gitleaks' rules use: a flag group `(?i)` in mid-pattern (RE2 scopes it to the rest of the
enclosing group; Python only accepts global flags at the very start), `\\z`, POSIX classes such as
`[[:alnum:]]`, `(?<name>` groups and a literal `[` inside a class (Python warns about nested sets).
"""

from __future__ import annotations

import random
import re
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]

POSIX = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "digit": "0-9", "lower": "a-z", "upper": "A-Z",
         "space": r"\s", "xdigit": "0-9A-Fa-f", "word": r"\w", "punct": r"!-/:-@\[-`{-~", "blank": r" \t"}


def _class_end(p: str, i: int) -> int:
    """Index just after the character class that starts at p[i] == '['."""
    j = i + 1
    if j < len(p) and p[j] == "^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while j < len(p):
        if p[j] == "\\":
            j += 2
            continue
        if p.startswith("[:", j):
            k = p.find(":]", j + 2)
            if k != -1:
                j = k + 2
                continue
        if p[j] == "]":
            return j + 1
        j += 1
    raise ValueError(f"unterminated class in {p!r}")


def _translate_class(body: str) -> str:
    out = []
    i = 0
    while i < len(body):
        if body[i] == "\\":
            out.append(body[i:i + 2])
            i += 2
        elif body.startswith("[:", i):
            k = body.index(":]", i)
            out.append(POSIX[body[i + 2:k]])
            i = k + 2
        elif body[i] == "[":
            out.append("\\[")
            i += 1
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def translate(p: str) -> str:
    """A Go regex as an equivalent Python regex (raises ValueError on syntax it does not know)."""
    out: list[str] = []
    # Each open group remembers how many scoped flag groups `(?flags:` we opened inside it for a
    # mid-group `(?i)`: they close when the enclosing group closes.
    stack: list[int] = [0]
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            nxt = p[i + 1]
            out.append("\\Z" if nxt == "z" else p[i:i + 2])
            i += 2
        elif c == "[":
            j = _class_end(p, i)
            neg = p[i + 1] == "^"
            body = p[i + 1 + neg:j - 1]
            out.append("[" + ("^" if neg else "") + _translate_class(body) + "]")
            i = j
        elif c == "(":
            m = re.match(r"\(\?([imsU-]+)\)", p[i:])
            if m:
                flags = m.group(1)
                if not out and len(stack) == 1:
                    out.append(m.group(0))  # a leading global flag group: Python accepts it as is
                else:
                    out.append(f"(?{flags}:")
                    stack[-1] += 1
                i += len(m.group(0))
                continue
            if p.startswith("(?<", i) and not p.startswith("(?<=", i) and not p.startswith("(?<!", i):
                out.append("(?P<")
                i += 3
            else:
                out.append("(")
                i += 1
            stack.append(0)
        elif c == ")":
            opened = stack.pop()
            out.append(")" * opened + ")")
            i += 1
        elif c == "|" and stack[-1]:
            # an alternative ends the scope of a mid-group flag: close it and reopen nothing (RE2 keeps
            # the flag for later alternatives too; reopening keeps that meaning)
            opened = stack[-1]
            flags = _open_flags(out, opened)
            out.append(")" * opened + "|" + "".join(f"(?{f}:" for f in flags))
            i += 1
        else:
            out.append(c)
            i += 1
    out.append(")" * stack[0])
    result = "".join(out)
    re.compile(result)
    return result


def _open_flags(out: list[str], n: int) -> list[str]:
    """The flags of the last `n` scoped flag groups opened in `out` (innermost last)."""
    flags = [m.group(1) for m in re.finditer(r"\(\?([imsU-]+):", "".join(out))]
    return flags[-n:]


# --- strings from a regex ----------------------------------------------------------------------------------
_CATEGORY = {
    sre_c.CATEGORY_DIGIT: "0123456789",
    sre_c.CATEGORY_WORD: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_DIGIT: "abcXYZ",
    sre_c.CATEGORY_NOT_WORD: "-.",
    sre_c.CATEGORY_NOT_SPACE: "abcXYZ019",
}
PRINTABLE = [chr(c) for c in range(33, 127)]


def _in_set(items: list, rng: random.Random) -> str:
    chars: list[str] = []
    negate = False
    for op, av in items:
        if op == sre_c.NEGATE:
            negate = True
        elif op == sre_c.LITERAL:
            chars.append(chr(av))
        elif op == sre_c.RANGE:
            chars += [chr(c) for c in range(av[0], av[1] + 1)]
        elif op == sre_c.CATEGORY:
            chars += list(_CATEGORY[av])
    if negate:
        chars = [c for c in PRINTABLE if c not in set(chars)]
    return rng.choice(chars)


def _gen(tree: list, rng: random.Random, limit: int) -> str:
    out = []
    for op, av in tree:
        if op == sre_c.LITERAL:
            out.append(chr(av))
        elif op == sre_c.NOT_LITERAL:
            out.append(rng.choice([c for c in PRINTABLE if c != chr(av)]))
        elif op == sre_c.ANY:
            out.append(rng.choice(PRINTABLE))
        elif op == sre_c.IN:
            out.append(_in_set(av, rng))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            hi = lo + limit if hi == sre_c.MAXREPEAT else hi
            out += [_gen(sub, rng, limit) for _ in range(rng.randint(lo, hi))]
        elif op == sre_c.SUBPATTERN:
            out.append(_gen(av[-1], rng, limit))
        elif op == sre_c.BRANCH:
            out.append(_gen(rng.choice(av[1]), rng, limit))
        elif op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"cannot generate from {op}")
    return "".join(out)


def generate(go_regex: str, rng: random.Random, limit: int = 1) -> str:
    """One string matching `go_regex` (unbounded repeats take at most `limit` more than their minimum),
    the way gitleaks' NewSecret (reggen with limit 1) makes its sample secrets."""
    return _gen(list(sre_parse.parse(translate(go_regex))), rng, limit)
