"""Port gitleaks' rule set into ccp_assets/privacy/rules_v2.json and its examples into tests/privacy/data.

    .venv/bin/python -m tests.privacy.gitleaks_port /path/to/gitleaks-checkout

Reads the checkout's config/gitleaks.toml (ids, regexes, keywords, entropy, allowlists, the global
allowlist) and cmd/generate/config/rules/*.go (each rule's `tps`/`fps`). Our own rules (those without a
`source` starting with "gitleaks") are kept as they are in rules_v2.json; every gitleaks rule is replaced.
Not ported: `pkcs12-file` (a file-name rule: a text span has no file) and the `jwt-base64` examples (built
by a loop over base64 encodings, outside the evaluated Go subset); path conditions of four rules are
dropped (the rule then applies to any text: more redaction, never less).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from .goexamples import examples_of_file
from .goregex import translate

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "ccp_assets" / "privacy" / "rules_v2.json"
EXAMPLES = REPO / "tests" / "privacy" / "data" / "gitleaks_examples.json"
SKIP_RULES = {"pkcs12-file"}
LICENSE = "(gitleaks/gitleaks), MIT License, Copyright (c) 2019 Zachary Rice"
NOTICE = ("Rules whose source starts with 'gitleaks' (ids, regexes translated from RE2, keywords, entropy thresholds, "
          f"allowlists) are derived from gitleaks' config/gitleaks.toml {LICENSE}; regenerate with "
          "`python -m tests.privacy.gitleaks_port <checkout>`.")
EXAMPLES_NOTICE = f"Examples derived from gitleaks' cmd/generate/config/rules/*.go {LICENSE}."


def _allowlist(a: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if a.get("description"):
        out["description"] = a["description"]
    if a.get("regexTarget"):
        out["target"] = a["regexTarget"]
    if a.get("condition"):
        out["condition"] = a["condition"].lower()
    if a.get("regexes"):
        out["regexes"] = [translate(r) for r in a["regexes"]]
    if a.get("stopwords"):
        out["stopwords"] = [w.lower() for w in a["stopwords"]]
    if a.get("paths"):
        out["has_paths"] = True
    return out


def port_rules(cfg: dict[str, Any], commit: str) -> list[dict[str, Any]]:
    rules = []
    for r in cfg["rules"]:
        if r["id"] in SKIP_RULES or "regex" not in r:
            continue
        rule: dict[str, Any] = {
            "name": r["id"], "description": r["description"] + (
                f" (gitleaks limits it to files matching {r['path']}; here it applies to any text)"
                if r.get("path") else ""),
            "kind": "regex", "risk": "high", "replacement": f"[{r['id']}]", "pattern": translate(r["regex"]),
            "keywords": sorted({k.lower() for k in r.get("keywords", [])}),
        }
        if r.get("secretGroup"):
            rule["secret_group"] = r["secretGroup"]
        if r.get("entropy"):
            rule["secret_entropy"] = r["entropy"]
        if r.get("allowlists"):
            rule["allowlists"] = [_allowlist(a) for a in r["allowlists"]]
        rule["global_allowlist"] = True
        rule["source"] = f"gitleaks {commit[:12]} config/gitleaks.toml"
        rules.append(rule)
    return rules


def port_examples(rules_dir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    paths = {r["id"]: r.get("path") for r in cfg["rules"]}
    stopwords = tuple(w.lower() for r in cfg["rules"] if r["id"] == "generic-api-key"
                      for a in r.get("allowlists", []) for w in a.get("stopwords", []))
    out: dict[str, Any] = {}
    for f in sorted(rules_dir.glob("*.go")):
        for ex in examples_of_file(f, stopwords):
            if ex.rule_id in SKIP_RULES or ex.rule_id not in paths:  # not in the config: not a rule
                continue
            entry: dict[str, Any] = {"file": f.name}
            if ex.with_paths:  # {path: text}: a false positive told apart only by its path is not ours
                path_re = re.compile(translate(paths[ex.rule_id])) if paths.get(ex.rule_id) else None
                entry["tps"] = [t for _, t in ex.tps]
                entry["fps"] = [t for p, t in ex.fps if path_re is None or path_re.search(p)]
                entry["fps_by_path_only"] = len(ex.fps) - len(entry["fps"])
            else:
                entry["tps"], entry["fps"] = ex.tps, ex.fps
            if ex.skipped:
                entry["not_evaluated"] = ex.skipped
            out[ex.rule_id] = entry
    return out


def main(checkout: Path) -> None:
    cfg = tomllib.loads((checkout / "config" / "gitleaks.toml").read_text())
    try:
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        commit = (checkout / "COMMIT").read_text().strip()
    doc = json.loads(RULES.read_text())
    doc["notice"] = NOTICE
    own = [r for r in doc["rules"] if not r.get("source", "").startswith("gitleaks")]
    glob = cfg.get("allowlist", {})
    doc["global_allowlist"] = {"description": f"gitleaks {commit[:12]}: global allowlist", **_allowlist(
        {"regexes": glob.get("regexes", []), "stopwords": glob.get("stopwords", [])})}
    doc["rules"] = own + port_rules(cfg, commit)
    RULES.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    examples = port_examples(checkout / "cmd" / "generate" / "config" / "rules", cfg)
    EXAMPLES.parent.mkdir(parents=True, exist_ok=True)
    EXAMPLES.write_text(json.dumps({"notice": EXAMPLES_NOTICE, "source": f"gitleaks {commit} cmd/generate/config/rules/*.go",
                                    "rules": examples}, indent=1, ensure_ascii=False) + "\n")
    n_tp = sum(len(e["tps"]) for e in examples.values())
    n_fp = sum(len(e["fps"]) for e in examples.values())
    print(f"{len(doc['rules']) - len(own)} gitleaks rules, {len(own)} own; examples for {len(examples)} rules: "
          f"{n_tp} true and {n_fp} false positives")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
