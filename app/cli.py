"""The ``bridgeway`` command: serve, migrate, demo data, staff accounts, purge and translation packs."""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path
from typing import NoReturn

import click

from app.settings import Settings, SettingsError, load_settings


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit status 1: no traceback wall for configuration problems."""
    click.echo(f"bridgeway: error: {message}", err=True)
    sys.exit(1)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def _migrated_engine(settings: Settings):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    from app.db import make_engine
    from app.migrate import upgrade

    try:
        engine = make_engine(settings.database_url)
        upgrade(engine)
    except SettingsError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"cannot reach the database {_redact(settings.database_url)}: {str(exc.orig).strip().splitlines()[0]}")
    return engine


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(malformed URL)"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bridgeway")
def main() -> None:
    """Bridgeway: virtual exchange with paired, moderated, translated chat rooms."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=int, help="Server processes (needs Redis + PostgreSQL).")
@click.option("--reload", is_flag=True, help="Restart on code changes (development only).")
@click.option("--demo", is_flag=True, help="Seed demo schools, classes and a live session first, and print them.")
def serve(host: str, port: int, workers: int, reload: bool, demo: bool) -> None:
    """Run Bridgeway with uvicorn (websockets-sansio, uvloop, httptools)."""
    import uvicorn

    settings = _settings()
    try:
        settings.resolve_secret()
    except SettingsError as exc:
        fail(str(exc))
    if workers > 1 and (settings.is_sqlite or settings.broker_url.startswith("memory")):
        fail("--workers > 1 needs BRIDGEWAY_DATABASE_URL=postgresql://... and BRIDGEWAY_BROKER_URL=redis://...")
    _check_port(host, port)  # before anything is written: a start that fails changes nothing
    engine = _migrated_engine(settings)
    if demo:
        from app.demo import seed_demo

        click.echo(seed_demo(engine, settings).describe(f"http://{host}:{port}"))
    engine.dispose()
    from app.serving import uvicorn_options

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers if not reload else None,
        reload=reload,
        ws="websockets-sansio",
        loop="uvloop",
        ws_max_size=settings.ws_max_size,
        ws_per_message_deflate=settings.ws_per_message_deflate,
        log_level="info",
        **uvicorn_options(settings),  # httptools with a head timeout and a connection cap; proxy trust
    )


def _check_port(host: str, port: int) -> None:
    """Bind as uvicorn will (``Config.bind_socket``: SO_REUSEADDR), so that only a listening server counts as "in use".

    Without SO_REUSEADDR the connections a stopped server left in TIME_WAIT made a restart fail for up to a minute.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use: stop the other server or pass --port")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
    settings = _settings()
    engine = _migrated_engine(settings)
    from app.migrate import current_revision

    click.echo(f"database {_redact(settings.database_url)} is at revision {current_revision(engine)}")


main.add_command(migrate, name="init-db")


@main.command()
def demo() -> None:
    """Seed two schools in different countries, classes with join codes, a facilitator and a live session."""
    settings = _settings()
    engine = _migrated_engine(settings)
    from app.demo import seed_demo

    click.echo(seed_demo(engine, settings).describe(settings.base_url))


@main.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["facilitator", "coordinator", "admin"]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters.")
@click.option("--name", "display_name", default=None, help="Display name (defaults to the username).")
@click.option("--school-id", type=int, default=None, help="The school this staff member belongs to.")
def create_user(username: str, role: str, password: str, display_name: str | None, school_id: int | None) -> None:
    """Create a staff account."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session

    from app.models import Role, School, User
    from app.security import hash_password

    if len(password) < 10:
        fail("the password must have at least 10 characters")
    settings = _settings()
    engine = _migrated_engine(settings)
    with Session(engine) as db:
        if school_id is not None and db.get(School, school_id) is None:
            fail(f"no school with id {school_id}")
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=Role(role),
            school_id=school_id,
        )
        db.add(user)
        try:
            db.commit()
        except IntegrityError:
            fail(f"a user named {username!r} already exists")
        click.echo(f"created {role} {username!r} (id {user.id})")


def _account_change(username: str, change: str) -> None:
    """Run one audited account change (app/staff/accounts.py) from the command line; the actor is recorded as none."""
    from sqlmodel import Session

    from app.security import hash_password
    from app.staff import accounts

    settings = _settings()
    engine = _migrated_engine(settings)
    with Session(engine) as db:
        try:
            user_id = accounts.find(db, username).id or 0
            if change == "reset-password":
                password = accounts.generate_password()
                accounts.set_password(db, user_id, hash_password(password), None)
                click.echo(f"new password for {username!r}: {password} (every session of the account was ended)")
            elif change == "delete-user":
                accounts.delete(db, user_id, None)
                click.echo(f"deleted {username!r}")
            else:
                accounts.set_disabled(db, user_id, change == "disable-user", None)
                click.echo(f"{change.split('-')[0]}d {username!r}")
        except accounts.AccountError as exc:
            fail(str(exc))
    engine.dispose()


def _account_command(name: str, help_text: str) -> None:
    @main.command(name, help=help_text)
    @click.argument("username")
    def command(username: str) -> None:
        _account_change(username, name)


_account_command("reset-password", "Give a staff account a new generated password (printed once); ends its sessions.")
_account_command("disable-user", "Disable a staff account: its sessions end and it cannot log in.")
_account_command("enable-user", "Enable a disabled staff account again.")
_account_command("delete-user", "Delete a staff account (sessions it facilitated stay, without a facilitator).")


@main.group()
def translation() -> None:
    """Offline translation packs (Argos Translate .argosmodel files)."""


@translation.command("list")
def translation_list() -> None:
    """List installed packs, and which one serves each language pair (the newest version wins)."""
    settings = _settings()
    from translation.packages import chosen_packages, list_installed

    try:
        packages = list_installed(settings.packages_dir)
    except ImportError:
        fail("translation is not installed: pip install -e '.[translation]' and argostranslate (see README)")
    if not packages:
        click.echo(f"no language packs installed in {settings.packages_dir}")
    serving = chosen_packages(packages)
    for pkg in packages:
        used = serving[(pkg.from_code, pkg.to_code)]
        state = (
            "serves this pair" if used == pkg else f"not used: {used.name} (version {used.version}) serves this pair"
        )
        click.echo(f"{pkg.from_code} -> {pkg.to_code}  version {pkg.version}  ({pkg.name})  {state}")


@translation.command("install")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def translation_install(file: Path) -> None:
    """Install a language pack from a local .argosmodel file (no download)."""
    settings = _settings()
    from translation.packages import install_package

    try:
        pkg = install_package(file, settings.packages_dir)
    except ImportError:
        fail("translation is not installed: pip install -e '.[translation]' and argostranslate (see README)")
    except Exception as exc:
        fail(f"could not install {file}: {exc}")
    click.echo(f"installed {pkg.from_code} -> {pkg.to_code} version {pkg.version} into {settings.packages_dir}")


@translation.command("install-demo")
def translation_install_demo() -> None:
    """Build and install tiny demo packs (en<->es, fr->en) that swap a few words: for trying the feature offline."""
    settings = _settings()
    from translation.tinymodel import install_demo_packages

    try:
        packages = install_demo_packages(settings.packages_dir)
    except ImportError:
        fail("translation is not installed: pip install -e '.[translation]' and argostranslate (see README)")
    for pkg in packages:
        click.echo(f"installed demo pack {pkg.from_code} -> {pkg.to_code} into {settings.packages_dir}")


@main.command("translation-worker")
@click.option("--name", default=None, help="Consumer name in the Redis group (default: host-pid).")
def translation_worker(name: str | None) -> None:
    """Translate for the chat servers through Redis (BRIDGEWAY_TRANSLATION_QUEUE_URL); run one per CPU core."""
    import os

    settings = _settings()
    if not settings.translation_queue_url:
        fail("set BRIDGEWAY_TRANSLATION_QUEUE_URL=redis://... (the same on the chat servers) to run a worker")
    from translation.worker import serve

    consumer = name or f"{socket.gethostname()}-{os.getpid()}"
    try:
        serve(settings.translation_queue_url, settings.packages_dir, consumer, settings.translation_worker_options,
              lambda line: click.echo(line, err=True))  # fmt: skip
    except ImportError:
        fail("translation is not installed: pip install -e '.[translation]' and argostranslate (see README)")


@main.command()
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge(dry_run: bool) -> None:
    """Delete student data of sessions that ended longer ago than the retention period; keep the audit log."""
    from sqlmodel import Session

    from app.facilitation.retention import purge as run_purge

    settings = _settings()
    engine = _migrated_engine(settings)
    with Session(engine) as db:
        report = run_purge(db, settings.retention_days, dry_run=dry_run)
    engine.dispose()
    verb = "would delete" if dry_run else "deleted"
    sessions = ", ".join(str(s) for s in report.sessions) or "none"
    click.echo(
        f"{verb}: {report.participants} participants, {report.messages} messages, {report.reports} reports, "
        f"{report.room_members} room memberships, {report.rooms} rooms, {report.translations} cached translations "
        f"(sessions past retention: {sessions}); the moderation audit log is kept"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
