"""gitleaks' own true/false-positive examples, read from its rule sources (cmd/generate/config/rules/*.go).

Each rule function builds `tps` and `fps` (string literals, concatenations, `utils.GenerateSampleSecrets`
around a `secrets.NewSecret(regex)`, `append`, `fmt.Sprintf`) and ends in `utils.Validate(r, tps, fps)`.
This evaluates that small subset of Go: string and slice/map literals, `+`, variables and the generator
helpers (re-implemented from their documented behaviour, seeded per rule so the output is stable).
A statement it cannot evaluate is skipped and counted, never guessed.
"""

from __future__ import annotations

import base64
import contextlib
import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .goregex import generate

TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+) | (?P<comment>//[^\n]*|/\*.*?\*/) | (?P<nl>\n)
  | (?P<raw>`[^`]*`) | (?P<str>"(?:\\.|[^"\\\n])*") | (?P<rune>'(?:\\.|[^'\\])+')
  | (?P<num>\d+(?:\.\d+)?) | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.\.|:=|\+=|==|!=|&&|\|\||<-|[-+*/%=<>!&|^.,;:(){}\[\]])
""", re.S | re.X)
CONTINUES = {"+", ",", "(", "{", "[", ".", "||", "&&", "=", ":=", "+="}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a", "b": "\b", "f": "\f",
           "v": "\v"}


class Unsupported(Exception):
    pass


def _go_string(tok: str) -> str:
    if tok[0] == "`":
        return tok[1:-1].replace("\r", "")
    body = tok[1:-1]

    def esc(m: re.Match[str]) -> str:
        s = m.group(0)
        if s[1] in ESCAPES:
            return ESCAPES[s[1]]
        if s[1] in "xuU":
            return chr(int(s[2:], 16))
        return chr(int(s[1:], 8))

    return re.sub(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", esc, body)


def tokenize(src: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            raise Unsupported(f"cannot tokenize at {src[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind in ("ws", "comment"):
            if kind == "comment" and "\n" in m.group(0):
                out.append(("nl", "\n"))
            continue
        out.append((kind, m.group(0)))
    return out


# --- the generator helpers (gitleaks cmd/generate/config/utils) --------------------------------------------
SAMPLE_TEMPLATES = [  # utils.GenerateSampleSecrets: one sample per common way a token is written down
    '{i}Token="{s}"', '{i}Token = "{s}"', "{i}Token={s}", "{i}Token = {s}", '{\n    "{i}_token": "{s}"\n}',
    '{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}', "<{i}Token>\n    {s}\n</{i}Token>",
    "{i}_token: {s}", "{i}_token: '{s}'", '{i}_token: "{s}"', 'string {i}Token = "{s}";',
    'var {i}Token string = "{s}"', '{i}Token := "{s}"', "{i}Token := `{s}`", 'String {i}Token = "{s}";',
    'var {i}Token = "{s}"', '${i}Token .= "{s}"', "{i}Token = '{s}'", '{i}Token = "{s}"',
    'System.setProperty("{I}_TOKEN", "{s}")', '  "{i}Token" => "{s}"', '{i}_TOKEN = "{s}"',
    '{i}_TOKEN := "{s}"', '{i}_TOKEN ::= "{s}"', '{i}_TOKEN :::= "{s}"', '{i}_TOKEN ?= "{s}"',
]


def sample_secrets(identifier: str, secret: str) -> list[str]:
    return [t.replace("{i}", identifier).replace("{I}", identifier.upper()).replace("{s}", secret)
            for t in SAMPLE_TEMPLATES]


def _sprintf(fmt: str, *args: Any) -> str:
    it = iter(args)
    return re.sub(r"%[sdvq%]", lambda m: "%" if m.group(0) == "%%" else
                  (f'"{next(it)}"' if m.group(0) == "%q" else str(next(it))), fmt)


@dataclass
class Env:
    rng: random.Random
    vars: dict[str, Any] = field(default_factory=dict)
    stopwords: tuple[str, ...] = ()

    def call(self, name: str, args: list[Any]) -> Any:
        pattern = {"utils.Numeric": "[0-9]{%s}", "utils.Hex": "[a-f0-9]{%s}", "utils.AlphaNumeric": "[a-z0-9]{%s}",
                   "utils.AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
                   "utils.AlphaNumericExtended": r"[a-z0-9=_\-]{%s}",
                   "utils.AlphaNumericExtendedLong": r"[a-z0-9\/=_\+\-]{%s}"}
        if name in pattern:
            return pattern[name] % args[0]
        if name == "utils.Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if name == "secrets.NewSecret":
            return generate(args[0], self.rng)
        if name == "newPlausibleSecret":  # generic.go: a NewSecret with a digit 1-9 and no stop word
            for _ in range(2000):
                s = generate(args[0], self.rng)
                if re.search("[1-9]", s) and not any(w in s.lower() for w in self.stopwords):
                    return s
            raise Unsupported("no plausible secret")
        if name == "utils.GenerateSampleSecrets":
            return sample_secrets(args[0], args[1])
        if name == "utils.GenerateSampleSecret":
            return f'{args[0]}_api_token = "{args[1]}"'
        if name == "append":
            return list(args[0] or []) + list(args[1:])
        if name == "fmt.Sprintf":
            return _sprintf(*args)
        if name == "strings.Repeat":
            return args[0] * int(args[1])
        if name == "strings.ToUpper":
            return args[0].upper()
        if name == "strings.ToLower":
            return args[0].lower()
        if name == "strings.ReplaceAll":
            return args[0].replace(args[1], args[2])
        if name in ("base64.StdEncoding.EncodeToString", "b64.StdEncoding.EncodeToString"):
            return base64.b64encode(args[0].encode()).decode()
        if name == "utils.GetEnvOrDefault":
            return args[1]
        raise Unsupported(f"call {name}")


class Parser:
    def __init__(self, toks: list[tuple[str, str]], env: Env) -> None:
        self.toks = [t for t in toks if t[0] != "nl"]
        self.i = 0
        self.env = env

    def peek(self, k: int = 0) -> tuple[str, str]:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else ("eof", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise Unsupported(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def expr(self) -> Any:
        left = self.primary()
        while self.peek()[1] == "+":
            self.take()
            right = self.primary()
            if not isinstance(left, str) or not isinstance(right, str):
                raise Unsupported("+ on non-strings")
            left = left + right
        return left

    def _elements(self, close: str) -> list[Any]:
        items: list[Any] = []
        while self.peek()[1] != close:
            if self.peek()[0] == "eof":
                raise Unsupported("unterminated literal")
            if self.peek()[1] == "{":  # an element of elided type: {a, b}
                self.take()
                items.append(self._elements("}"))
                self.take("}")
            else:
                items.append(self.expr())
            if self.peek()[1] == ":":
                self.take()
                items[-1] = (items[-1], self.expr())
            if self.peek()[1] == ",":
                self.take()
        return items

    def primary(self) -> Any:
        kind, val = self.take()
        if kind in ("str", "raw"):
            return _go_string(val)
        if kind == "num":
            return val
        if val == "(":
            v = self.expr()
            self.take(")")
            return v
        if val == "[" and self.peek()[1] == "]" and self.peek(1)[0] == "ident" and self.peek(2)[1] == "(":
            self.take()
            self.take()
            self.take("(")
            v = self.expr()  # a conversion such as []byte(s): the same text
            self.take(")")
            return v
        if val == "[" or val == "map":  # []string{...} / map[string]string{...} / [][]string{...}
            while self.peek()[1] != "{":
                if self.take()[0] == "eof":
                    raise Unsupported("no composite literal")
            self.take("{")
            items = self._elements("}")
            self.take("}")
            if val == "map":
                return dict(items)
            return items
        if kind == "ident":
            name = val
            while self.peek()[1] == ".":
                self.take()
                name += "." + self.take()[1]
            if self.peek()[1] == "(":
                self.take()
                args: list[Any] = []
                while self.peek()[1] != ")":
                    if self.peek()[0] == "eof":
                        raise Unsupported("unterminated call")
                    a = self.expr()
                    if self.peek()[1] == "...":
                        self.take()
                        args += list(a or [])
                    else:
                        args.append(a)
                    if self.peek()[1] == ",":
                        self.take()
                self.take(")")
                if name == "append":
                    return self.env.call(name, [args[0], *args[1:]]) if args else []
                return self.env.call(name, args)
            if name == "nil":
                return None
            if name in self.env.vars:
                return self.env.vars[name]
            raise Unsupported(f"unknown name {name}")
        raise Unsupported(f"unexpected {val!r}")


def _statements(toks: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Split a function body into statements: newlines at bracket depth 0 that do not continue a line."""
    out: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    depth = 0
    for tok in toks:
        if tok[0] == "nl":
            if depth == 0 and cur and cur[-1][1] not in CONTINUES:
                out.append(cur)
                cur = []
            elif depth > 0:
                cur.append(tok)  # kept for nested blocks (`var ( ... )`); expressions skip it
            continue
        if tok[1] in "([{":
            depth += 1
        elif tok[1] in ")]}":
            depth -= 1
        cur.append(tok)
    if cur:
        out.append(cur)
    return out


@dataclass
class RuleExamples:
    rule_id: str
    tps: list[str]
    fps: list[str]
    with_paths: bool = False
    skipped: list[str] = field(default_factory=list)


def _functions(src: str) -> list[tuple[str, str]]:
    """(name, body) of every top-level `func Name(...) ... {` in a Go file."""
    out = []
    for m in re.finditer(r"^func (\w+)\([^)]*\)[^{\n]*\{\n", src, re.M):
        depth, j = 1, m.end()
        toks = tokenize(src[j:])
        pos_toks = []
        for _k, tok in enumerate(toks):
            if tok[1] == "{":
                depth += 1
            elif tok[1] == "}":
                depth -= 1
                if depth == 0:
                    break
            pos_toks.append(tok)
        out.append((m.group(1), pos_toks))
    return out  # type: ignore[return-value]


def _assign(st: list[tuple[str, str]], env: Env) -> None:
    """`x := e`, `x = e`, `var x T = e`, `var x = e`, `var x T`, `var ( x = e ... )`."""
    vals = [v for _, v in st]
    if vals[0] == "var" and vals[1] == "(":
        inner = [t for t in st[2:-1]]
        for sub in _statements(inner):
            _assign(sub, env)
        return
    if vals[0] == "var":
        st, vals = st[1:], vals[1:]
        if "=" not in vals:
            env.vars[vals[0]] = None
            return
        st = [st[0], ("op", "=")] + st[vals.index("=") + 1:]
        vals = [v for _, v in st]
    if len(vals) > 2 and vals[1] in (":=", "=") and re.fullmatch(r"\w+", vals[0]):
        try:
            env.vars[vals[0]] = Parser(st[2:], env).expr()
        except (Unsupported, IndexError, KeyError, ValueError):
            env.vars.pop(vals[0], None)
            raise


def _globals(src: str, env: Env) -> None:
    """Package-level `var x = ...` declarations (examples shared by several rules)."""
    for m in re.finditer(r"^var (\w+|\()", src, re.M):
        toks = tokenize(src[m.start():])
        for st in _statements(toks)[:1]:
            with contextlib.suppress(Unsupported, IndexError, KeyError, ValueError):
                _assign(st, env)


def examples_of_file(path: Path, stopwords: tuple[str, ...] = ()) -> list[RuleExamples]:
    src = path.read_text()
    results = []
    for _name, body in _functions(src):
        text = " ".join(v for _, v in body)
        ids = re.findall(r'RuleID\s*:\s*"([^"]+)"', text)
        if not ids or "Validate" not in text:
            continue
        env = Env(random.Random(zlib.crc32(ids[0].encode())), stopwords=stopwords)
        env.vars["DefaultStopWords"] = []
        _globals(src, env)
        skipped: list[str] = []
        found: RuleExamples | None = None
        for st in _statements(body):
            vals = [v for _, v in st]
            try:
                if vals[0] == "return" and len(vals) > 2 and vals[1] == "utils" and vals[3].startswith("Validate"):
                    p = Parser(st[1:], env)
                    p.take()
                    p.take(".")
                    fn = p.take()[1]
                    p.take("(")
                    p.take()  # the rule
                    p.take(",")
                    tps = p.expr()
                    p.take(",")
                    fps = p.expr()
                    with_paths = fn == "ValidateWithPaths"
                    if with_paths:
                        tps = [[k, v] for k, v in (tps or {}).items()]
                        fps = [[k, v] for k, v in (fps or {}).items()]
                    found = RuleExamples(ids[0], list(tps or []), list(fps or []), with_paths, skipped)
                elif vals[0] == "var" or (len(vals) > 2 and vals[1] in (":=", "=")):
                    _assign(st, env)
            except (Unsupported, IndexError, KeyError, ValueError) as e:
                if len(vals) > 2 and vals[2] == "config":
                    continue  # the rule itself (its regex comes from gitleaks.toml)
                if len(vals) > 1 and (vals[1] in (":=", "=") or vals[0] == "var"):
                    skipped.append(f"{vals[0]} {vals[1]}: {e}")
                elif vals[0] == "return":
                    skipped.append(f"Validate: {e}")
        if found is not None:
            results.append(found)
        elif skipped:
            results.append(RuleExamples(ids[0], [], [], False, skipped))
    return results
