"""Codex CLI rollout files: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl` (and `archived_sessions/`).

Where ccusage 20.0.24 looks (its docs/guide/codex and rust/adapters/codex/src/README.md, confirmed against the
binary in tests/sources/codex): `CODEX_HOME` (default `~/.codex`), a comma-separated list allowed; for each home
`sessions/**/*.jsonl` and `archived_sessions/**/*.jsonl`, and an archived copy whose path relative to its folder
is also under `sessions/` is left out (the active copy wins, it is never counted twice). A home with neither
folder is read as a folder of JSONL files itself (`CODEX_HOME=~/.codex/sessions` works; measured). Lines of
saved `codex exec --json` output found there land, but their headless usage format is not counted here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from ccp_assets.settings import Settings
from ccp_assets.sources.base import iso_or_epoch
from ccp_assets.sources.walk import jsonl_files

NAME = "codex"
FOLDERS = ("sessions", "archived_sessions")


def codex_homes(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """Every Codex home named by CODEX_HOME (comma-separated), else `~/.codex`; absolute, in the given order."""
    env = os.environ if env is None else env
    raw = env.get("CODEX_HOME", "").strip()
    if raw:
        return tuple(Path(p.strip()).expanduser().resolve() for p in raw.split(",") if p.strip())
    return (Path(env.get("HOME") or Path.home()).resolve() / ".codex",)


# A `service_tier = "priority"` (or legacy "fast") line anywhere in a home's config.toml, as ccusage 20.0.24
# reads it (measured: any table, either quote, a trailing comment; a commented-out line does not count).
FAST_CONFIG_RE = re.compile(r"""^\s*service_tier\s*=\s*(["'])(priority|fast)\1\s*(#.*)?$""", re.MULTILINE)


def config_says_fast(env: Mapping[str, str] | None = None) -> bool:
    """True when any Codex home's config.toml sets the fast tier: ccusage then prices turns that no
    `thread_settings_applied` line classified as fast (its default `--speed auto`)."""
    for home in codex_homes(env):
        try:
            text = (home / "config.toml").read_text(errors="replace")
        except OSError:
            continue
        if FAST_CONFIG_RE.search(text):
            return True
    return False


class CodexSource:
    """Every rollout file under each Codex home. CODEX_HOME is read when called (not at import).

    `settings` is accepted for the adapter interface; the Codex homes are not part of Settings yet, so they come
    from the environment here (see the package README for the hook that would move them into Settings).
    """

    name = NAME
    # The line's own `timestamp` (ISO text; numbers as epoch s/ms, as ccusage reads them).
    event_time_sql = iso_or_epoch("timestamp")

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env

    def roots(self, settings: Settings | None = None) -> list[Path]:
        """Each home's sessions/ and archived_sessions/, or the home itself when it has neither."""
        out = []
        for home in codex_homes(self._env):
            folders = [home / f for f in FOLDERS if (home / f).is_dir()]
            out += folders or ([home] if home.is_dir() else [])
        return out

    def enabled(self, settings: Settings | None = None) -> bool:
        return bool(self.roots(settings))

    def files(self, settings: Settings | None = None) -> list[Path]:
        found: set[Path] = set()
        for home in codex_homes(self._env):
            if home.is_dir() and not any((home / f).is_dir() for f in FOLDERS):
                found |= jsonl_files(home)
                continue
            active = home / "sessions"
            live = {p.relative_to(active) for p in active.rglob("*.jsonl") if p.is_file()} if active.is_dir() else set()
            found.update((active / rel).resolve() for rel in live)
            archived = home / "archived_sessions"
            if archived.is_dir():
                found.update(p.resolve() for p in archived.rglob("*.jsonl")
                             if p.is_file() and p.relative_to(archived) not in live)
        return sorted(found)


def ccusage_session_sql(file_col: str = "file") -> str:
    """ccusage's Codex session id: the file's path below `sessions/` (or `archived_sessions/`), without `.jsonl`."""
    return (f"coalesce(nullif(regexp_extract({file_col}, '/(?:archived_)?sessions/(.+)\\.jsonl$', 1), ''), "
            f"regexp_extract({file_col}, '([^/]+)\\.jsonl$', 1))")


def path_day_sql(file_col: str = "file") -> str:
    """The `YYYY/MM/DD` folder a rollout file was started in (NULL when the path has none)."""
    return (f"TRY_CAST(regexp_replace(regexp_extract({file_col}, '/([0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}})/[^/]+$', 1), "
            f"'/', '-', 'g') AS DATE)")
