"""``risk serve`` (the HTTP service on this machine), ``risk apikey`` (a new API key) and
``risk bento`` (import the champion models into BentoML and build a Bento)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from risk.serving.auth import key_line

SERVICE = "service.service:RiskService"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and benchmarks on loopback)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, host: str, working_dir: Path, reload: bool) -> list[str]:
    """The ``bentoml serve`` command line ``risk serve`` runs."""
    command = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        SERVICE,
        "--host",
        host,
        "--port",
        str(port),
        "--working-dir",
        str(working_dir),
    ]
    return [*command, "--reload"] if reload else command


def serve(
    port: Annotated[int, typer.Option(help="TCP port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    ledger: Annotated[
        Path | None, typer.Option(help="Ledger folder scored by id (RISK_LEDGER).")
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI of the models (RISK_TRACKING_URI).")
    ] = None,
    alias: Annotated[
        str | None, typer.Option(help="Registry alias served (RISK_MODEL_ALIAS).")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    web_key: Annotated[
        str | None,
        typer.Option(
            help="Print a one-time collector key NAME for the web pages (valid while this "
            "server runs) and their address."
        ),
    ] = None,
) -> None:
    """Serve the scoring API and the web pages (/app) locally with `bentoml serve` (API keys:
    RISK_API_KEYS_FILE or RISK_API_KEYS)."""
    env = dict(os.environ)
    if web_key:
        secret, extra = one_time_web_key(web_key)
        env["RISK_API_KEYS"] = ",".join(filter(None, [env.get("RISK_API_KEYS", ""), extra]))
        typer.echo(f"web pages: {page_address(host, port)} (sign in with the key {secret})")
    for name, value in (
        ("RISK_LEDGER", ledger),
        ("RISK_TRACKING_URI", tracking_uri),
        ("RISK_MODEL_ALIAS", alias),
    ):
        if value is not None:
            env[name] = str(value)
    if not env.get("RISK_API_KEYS") and not env.get("RISK_API_KEYS_FILE"):
        typer.echo("warning: no API key configured; create one with `risk apikey NAME`", err=True)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        serve_command(port, host, PROJECT_ROOT, reload), env=env, check=False
    )
    raise typer.Exit(completed.returncode)


def page_address(host: str, port: int) -> str:
    """Address of the web pages served by ``risk serve``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}/app"


def one_time_web_key(name: str) -> tuple[str, str]:
    """A new collector key and its ``name:hash:collector`` entry for ``RISK_API_KEYS``."""
    secret, line = key_line(name, "collector")
    hashed = line.split('"')[1]
    return secret, f"{name}:{hashed}:collector"


def apikey(
    name: Annotated[str, typer.Argument(help="Name of the key (who uses it), e.g. ops-team.")],
    role: Annotated[
        str | None,
        typer.Option(
            help="Web-page role: viewer (reads, the default) or collector (records actions)."
        ),
    ] = None,
) -> None:
    """Print a new random API key (give it to its user) and the line for the keys file.

    The key starts with its public key id (``rk_<key id>.``), which the line repeats
    (``kid-<key id>$scrypt$...``): the service checks one hash per request.
    """
    secret, line = key_line(name, role)
    hashed = line.split('"')[1] if role else line.split(": ", 1)[1]
    typer.echo(f"key:  {secret}")
    typer.echo(f"keys file line (RISK_API_KEYS_FILE):  {line}")
    typer.echo(f"or RISK_API_KEYS={name}:{hashed}" + (f":{role}" if role else ""))


def bento(
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI.")] = None,
    alias: Annotated[str, typer.Option(help="Registry alias to pin.")] = "champion",
    build: Annotated[bool, typer.Option(help="Run `bentoml build` after the import.")] = True,
) -> None:
    """Import the registry's models (hash-verified) into BentoML and build the Bento."""
    from risk import registry
    from risk.serving.app import import_to_bentoml

    tags = import_to_bentoml(registry.Store.resolve(tracking_uri), alias)
    typer.echo("imported " + ", ".join(tags))
    if build:
        command = [sys.executable, "-m", "bentoml", "build", str(PROJECT_ROOT / "service")]
        raise typer.Exit(subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode)
