"""`ccp license ...`: see, check and install license packs; the operator's keygen and mint; device login.

Every refusal is one line naming the cause and exits 1; nothing is installed unless it verifies against the
keys this machine already trusts, so the last-known-good license always survives a bad pack or issuer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from ccp_assets.cli.main import current_settings
from ccp_assets.licensing import clock
from ccp_assets.licensing.cache import current_license, install_pack
from ccp_assets.licensing.device import device_hash
from ccp_assets.licensing.entitlements import effective_tier
from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.issuing import keygen as make_keys
from ccp_assets.licensing.issuing import mint as mint_pack
from ccp_assets.licensing.jsonstrict import read_capped
from ccp_assets.licensing.keyring import load_keyring
from ccp_assets.licensing.pack import License, verify_pack
from ccp_assets.licensing.revocation import load_revocations
from ccp_assets.settings import Settings

license_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="License packs: status, verify, install, login; keygen and mint for the operator.",
)

HTTP_TIMEOUT_S = 15.0


def register(app: typer.Typer) -> None:
    """Attach `ccp license ...` to the root app."""
    app.add_typer(license_app, name="license")


def _console(stderr: bool = False) -> Console:
    """Built per call so it writes to the current sys.stdout/stderr; rich drops styling when not a TTY."""
    return Console(stderr=stderr, soft_wrap=True, highlight=False)


def _say(text: str) -> None:
    _console().print(text)


def _fail(text: str, code: int = 1) -> NoReturn:
    _console(stderr=True).print(text)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return current_settings()
    except ValueError as e:
        _fail(f"[red]configuration error:[/red] {escape(str(e))}", 2)


def _kept(settings: Settings, now: float) -> str:
    """What stays in force after a refusal (the last-known-good), in words."""
    lic, _ = current_license(settings, now)
    return f"kept the installed license ({escape(lic.summary())})" if lic else "no license is installed"


def _read(path: Path) -> bytes:
    try:
        return read_capped(path)
    except OSError as e:
        _fail(f"[red]invalid:[/red] cannot read {escape(str(path))} ({escape(e.strerror or str(e))})")


@license_app.command()
def status() -> None:
    """Plan, features, expiry, kid and the effective privacy tier (never the signature)."""
    settings, now = _settings(), clock.now()
    lic, why = current_license(settings, now)
    tier, tier_why = effective_tier(settings, now)
    rows: list[tuple[str, str]] = []
    if lic is None:
        rows.append(("License", f"[yellow]none[/yellow]: {escape(why)}"))
    else:
        rows += [
            ("License", f"[green]valid[/green]: {escape(why)}"),
            ("Plan", escape(lic.plan)),
            ("Features", escape(", ".join(lic.features) or "none")),
            ("Expires", lic.expires_on),
            ("Kid", escape(lic.kid)),
            ("License id", escape(lic.license_id or "-")),
            ("Bound to", "this machine" if lic.device else "any machine"),
        ]
    rows += [("Tier", f"[bold]{tier}[/bold] ({escape(tier_why)})"), ("Device", device_hash())]
    for label, value in rows:
        _say(f"{label + ':':<12}{value}")


@license_app.command()
def verify(pack: Path = typer.Argument(..., help="license pack file")) -> None:
    """Exit 0 when PACK is valid here and now; else exit 1 with a one-line reason."""
    settings, now = _settings(), clock.now()
    raw = _read(pack)
    try:
        ring = load_keyring(settings)
        lic = verify_pack(raw, now=now, keyring=ring, revocations=load_revocations(settings, now, ring))
    except LicenseError as e:
        _fail(f"[red]invalid:[/red] {escape(e.reason)}")
    _say(f"[green]valid:[/green] {escape(lic.summary())}")


@license_app.command()
def install(pack: Path = typer.Argument(..., help="license pack file")) -> None:
    """Verify PACK and make it the installed license; a bad pack changes nothing."""
    settings, now = _settings(), clock.now()
    raw = _read(pack)
    try:
        lic = install_pack(raw, settings, now)
    except LicenseError as e:
        _fail(f"[red]refused:[/red] {escape(e.reason)}; {_kept(settings, now)}")
    _installed(settings, lic, now)


def _installed(settings: Settings, lic: License, now: float) -> None:
    tier, why = effective_tier(settings, now)
    _say(f"[green]installed:[/green] {escape(lic.summary())} -> {escape(str(settings.license_pack))}")
    _say(f"effective tier: {tier} ({escape(why)})")


@license_app.command()
def keygen(
    kid: str = typer.Option(..., "--kid", help="key id written into every pack this key signs"),
    out: Path = typer.Option(..., "--out", help="directory for <kid>.key and <kid>.pub.json"),
) -> None:
    """Operator: a new Ed25519 signing key (private PEM 0600) and its public keyring."""
    try:
        key_path, pub_path = make_keys(kid, out)
    except (ValueError, OSError) as e:
        _fail(f"[red]keygen failed:[/red] {escape(str(e))}")
    _say(f"private key: {escape(str(key_path))} (mode 0600; keep it off client machines)")
    _say(f"public keyring: {escape(str(pub_path))} (use as CCP_TRUSTED_KEYS)")


@license_app.command()
def mint(
    key: Path = typer.Option(..., "--key", help="private key file from `ccp license keygen`"),
    kid: str | None = typer.Option(None, "--kid", help="key id (default: the key file's name without .key)"),
    plan: str = typer.Option(..., "--plan", help="community, trial, pro or enterprise"),
    features: str = typer.Option(
        "", "--features", help="comma-separated, e.g. telemetry_minimized,models_mixed"
    ),
    days: float = typer.Option(..., "--days", help="validity in days from now"),
    device: str | None = typer.Option(
        None, "--device", help="bind to one machine (its `ccp license status` Device)"
    ),
    license_id: str | None = typer.Option(None, "--license-id", help="default: a random id"),
    org: str | None = typer.Option(
        None, "--org", help="the team (organisation) whose aggregator view sums this license's devices"
    ),
    out: Path | None = typer.Option(None, "--out", help="write the pack here instead of stdout"),
) -> None:
    """Operator: sign a license pack; prints the pack JSON on stdout unless --out is given."""
    feats = [f.strip() for f in features.split(",") if f.strip()]
    try:
        pack = mint_pack(
            key,
            kid or key.name.removesuffix(".key"),
            plan,
            feats,
            days,
            device=device,
            license_id=license_id,
            now=clock.now(),
            org=org,
        )
    except (ValueError, OSError, TypeError) as e:
        _fail(f"[red]mint failed:[/red] {escape(str(e))}")
    text = json.dumps(pack, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, "utf-8")
    except OSError as e:  # a missing directory used to end in a traceback (issue 14)
        _fail(f"[red]mint failed:[/red] cannot write {escape(str(out))} ({escape(e.strerror or str(e))})")
    _console(stderr=True).print(
        f"wrote {escape(str(out))} (license id {escape(pack['license']['license_id'])})"
    )


# --- device login ---------------------------------------------------------------------------------------
def _post(http: Any, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], Any]:
    """(status, JSON object or {}, headers); a network failure ends the command with its reason."""
    import httpx

    try:
        r = http.post(path, json=body)
    except httpx.HTTPError as e:
        _fail(
            f"[red]login failed:[/red] cannot reach the issuer ({escape(type(e).__name__)}: {escape(str(e))})"
        )
    try:
        data = r.json()
    except ValueError:
        data = {}
    return r.status_code, data if isinstance(data, dict) else {}, r.headers


def _detail(data: dict[str, Any]) -> str:
    return escape(str(data.get("detail", "no detail"))[:200])


def _device_flow(http: Any, invite: str, device: str | None, settings: Settings) -> str:
    code, data, _ = _post(http, "/v1/device/begin", {"invite_code": invite, "device": device})
    if code != 200 or not isinstance(data.get("poll_token"), str):
        _fail(
            f"[red]login failed:[/red] the issuer refused to start ({code}: {_detail(data)}); nothing installed"
        )
    where = data.get("verification_url_complete") or data.get("verification_url", "the issuer's verify page")
    _say(f"To approve this machine, open {escape(str(where))}")
    _say(f"and confirm the code: [bold]{escape(str(data.get('user_code')))}[/bold]")
    interval = max(1, int(data.get("interval") or 5))
    deadline = clock.now() + max(1, int(data.get("expires_in") or 600))
    while True:
        clock.sleep(interval)
        code, answer, headers = _post(http, "/v1/device/poll", {"poll_token": data["poll_token"]})
        if code == 200 and answer.get("status") == "ok":
            pack = answer.get("license_pack")
            if not isinstance(pack, str):
                _fail(
                    f"[red]login failed:[/red] the issuer sent no license pack; {_kept(settings, clock.now())}"
                )
            return pack
        if code == 410 or (code == 200 and clock.now() >= deadline):
            _fail(
                f"[red]login failed:[/red] the code expired before it was approved; {_kept(settings, clock.now())}"
            )
        if code == 429:
            try:
                interval = max(interval, min(60, int(headers.get("retry-after", interval))))
            except ValueError:
                interval += 5
            continue
        if code != 200:
            _fail(
                f"[red]login failed:[/red] the issuer answered {code} ({_detail(answer)}); {_kept(settings, clock.now())}"
            )


@license_app.command()
def login(
    issuer: str = typer.Option(..., "--issuer", help="issuer base URL, e.g. https://licenses.example.com"),
    invite: str | None = typer.Option(
        None, "--invite", help="invite code (asked for when omitted on a terminal)"
    ),
    direct: bool = typer.Option(
        False, "--direct", help="use POST /v1/license/issue instead of a device code"
    ),
    bind_device: bool = typer.Option(
        True, "--bind-device/--no-bind-device", help="ask for a license bound to this machine"
    ),
) -> None:
    """Get a license from an issuer (device-code flow) and install it only after it verifies."""
    import httpx

    settings = _settings()
    try:
        load_keyring(settings)  # a broken CCP_TRUSTED_KEYS is reported before talking to anyone
    except LicenseError as e:
        _fail(f"[red]login failed:[/red] {escape(e.reason)}")
    if not invite:
        if not sys.stdin.isatty():
            _fail("[red]login failed:[/red] --invite CODE is required when not on a terminal")
        invite = typer.prompt("Invite code").strip()
    device = device_hash() if bind_device else None
    with httpx.Client(base_url=issuer.rstrip("/"), timeout=HTTP_TIMEOUT_S) as http:
        if direct:
            code, data, _ = _post(http, "/v1/license/issue", {"invite_code": invite, "device": device})
            if code != 200 or not isinstance(data.get("license_pack"), str):
                _fail(
                    f"[red]login failed:[/red] the issuer answered {code} ({_detail(data)}); {_kept(settings, clock.now())}"
                )
            pack = data["license_pack"]
        else:
            pack = _device_flow(http, invite, device, settings)
    now = clock.now()
    try:
        lic = install_pack(pack, settings, now)
    except LicenseError as e:
        _fail(
            f"[red]refused the issued pack:[/red] {escape(e.reason)}; nothing installed, {_kept(settings, now)}"
        )
    _installed(settings, lic, now)
