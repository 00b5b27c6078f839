"""The `escouting` command line."""

from typing import Annotated

import typer
from alembic import command
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.auth.schemas import ROLES
from app.config import get_settings
from app.db import alembic_config, build_engine

app = typer.Typer(help="Aerospace supplier e-scouting service.", no_args_is_help=True)


def _engine() -> Engine:
    return build_engine(get_settings().database_url)


@app.callback()
def _fresh_settings() -> None:
    # Read DATABASE_URL at every invocation (tests run several in one process).
    get_settings.cache_clear()


@app.command()
def migrate(revision: str = "head") -> None:
    """Upgrade the database schema (default: to the newest revision)."""
    command.upgrade(alembic_config(get_settings().database_url), revision)
    typer.echo(f"database at {revision}")


@app.command("seed-demo")
def seed_demo(
    suppliers: Annotated[int, typer.Option(min=1, help="How many suppliers to generate.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 42,
    if_empty: Annotated[bool, typer.Option(help="Do nothing if suppliers exist.")] = False,
) -> None:
    """Generate deterministic demo suppliers shaped like the Lombardia Aerospace Cluster."""
    from app.demo import seed_demo as generate
    from app.suppliers.models import Supplier

    engine = _engine()
    try:
        if if_empty:
            with Session(engine) as session:
                if session.scalar(select(func.count()).select_from(Supplier)):
                    typer.echo("suppliers already present; demo data not seeded")
                    return
        summary = generate(engine=engine, suppliers=suppliers, seed=seed)
        typer.echo(
            f"seeded {summary.suppliers} suppliers, {summary.employees} employees "
            f"in {summary.seconds:.1f} s"
        )
        _snapshot_index(engine)
    finally:
        engine.dispose()


def _snapshot_index(engine: Engine) -> None:
    """After a bulk write: build the search index once and leave its snapshot, so starting
    workers load it instead of each rebuilding (nothing to do with SEARCH_SNAPSHOT_DIR=off)."""
    from app.search.engine import SearchEngine, snapshot_dir

    directory = snapshot_dir(engine.url, get_settings().search_snapshot_dir)
    if directory is None:
        return
    search = SearchEngine(directory)
    with Session(engine) as session, search.current(session) as index:
        suppliers = len(index.live)
    how = f"built in {search.build_seconds:.1f} s" if search.builds else "brought up to date"
    typer.echo(f"search index of {suppliers} suppliers {how}; snapshot in {directory}")


@app.command("index")
def build_index() -> None:
    """Build the search index now and write its snapshot for starting workers."""
    engine = _engine()
    try:
        _snapshot_index(engine)
    finally:
        engine.dispose()


@app.command("create-api-key")
def create_api_key(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    supplier: Annotated[int | None, typer.Option(help="Supplier id (role supplier).")] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print the key alone, for `KEY=$(...)`.")
    ] = False,
) -> None:
    """Create an API key and print it alone on the last line (with --quiet, only the key)."""
    from app.auth.caller import SYSTEM
    from app.errors import ValidationProblem
    from app.keys.schemas import ApiKeyCreate
    from app.keys.service import create_api_key as create

    try:
        body = ApiKeyCreate.model_validate({"role": role, "supplier_id": supplier, "name": name})
    except ValueError as exc:
        raise typer.BadParameter(str(exc).splitlines()[-1]) from None
    engine = _engine()
    try:
        with Session(engine) as session:
            try:
                key, plaintext = create(
                    session=session,
                    actor=SYSTEM,
                    role=body.role,
                    supplier_id=body.supplier_id,
                    name=body.name,
                )
            except ValidationProblem as exc:
                raise typer.BadParameter(exc.detail or "invalid") from None
            session.commit()
            if not quiet:
                typer.echo(f"created {key.role} key {key.id} ({key.prefix}...); store it now:")
            typer.echo(plaintext)
    finally:
        engine.dispose()


@app.command("import")
def import_file(
    file: Annotated[
        typer.FileBinaryRead, typer.Argument(help="CSV (export layout) or JSON lines.")
    ],
    dry_run: Annotated[bool, typer.Option(help="Validate and report; write nothing.")] = False,
    format: Annotated[
        str | None, typer.Option(help="csv or jsonl; default: from the file name or content.")
    ] = None,
) -> None:
    """Upsert suppliers by VAT number from a file, all or nothing (like POST /suppliers/import)."""
    from app.auth.caller import SYSTEM
    from app.partners.importing import FORMATS, ImportRejected, detect_format, import_suppliers

    name = getattr(file, "name", "") or ""
    fmt = format or next((f for f in FORMATS if name.endswith(f".{f}")), None)
    if fmt is None:
        head = file.peek(4096) if hasattr(file, "peek") else b""
        fmt = detect_format(content_type=None, head=head)
    if fmt not in FORMATS:
        raise typer.BadParameter("--format must be csv or jsonl")
    engine = _engine()
    try:
        with Session(engine) as session:
            try:
                report = import_suppliers(
                    session=session, stream=file, fmt=fmt, actor=SYSTEM, dry_run=dry_run
                )
            except ImportRejected as exc:
                session.rollback()
                for error in exc.extras["errors"]:
                    where = f"row {error['row']}" + (
                        f", {error['field']}" if "field" in error else ""
                    )
                    typer.echo(f"{where}: {error['msg']}", err=True)
                typer.echo(f"rejected: {exc.detail}", err=True)
                raise typer.Exit(code=1) from None
            session.commit()
        would = "would be " if dry_run else ""
        if dry_run:  # what each update would change, old -> new
            for change in report.changes:
                if change.action == "updated":
                    diff = "; ".join(f"{f.field}: {f.old!r} -> {f.new!r}" for f in change.fields)
                    typer.echo(f"row {change.row} {change.vat_number}: {diff}")
        typer.echo(
            f"{report.rows} rows: {report.created} {would}created, "
            f"{report.updated} {would}updated, {report.unchanged} unchanged"
        )
        if not dry_run and report.created + report.updated:
            _snapshot_index(engine)
    finally:
        engine.dispose()


@app.command()
def export(
    format: Annotated[str, typer.Option(help="jsonl or csv.")] = "jsonl",
    output: Annotated[
        typer.FileTextWrite, typer.Option(help="File to write; default: standard output.")
    ] = "-",  # type: ignore[assignment]  # click opens the default "-" (standard output)
) -> None:
    """Write every live supplier as JSON lines or CSV (like GET /suppliers/export)."""
    from app.auth.caller import SYSTEM
    from app.partners import service

    if format not in ("jsonl", "csv"):
        raise typer.BadParameter("--format must be jsonl or csv")
    engine = _engine()
    try:
        with Session(engine) as session:
            suppliers = service.live_suppliers(session=session, caller=SYSTEM)
            lines = (
                service.jsonl_lines(suppliers)
                if format == "jsonl"
                else service.csv_lines(suppliers)
            )
            for chunk in lines:
                output.write(chunk)
    finally:
        engine.dispose()


@app.command("webhooks-worker")
def webhooks_worker(
    once: Annotated[bool, typer.Option(help="One pass, then exit (e.g. from cron).")] = False,
) -> None:
    """Send webhook deliveries from this process (set WEBHOOKS_WORKER_ENABLED=false on the API)."""
    import signal

    from app.logs import configure_logging
    from app.webhooks.worker import BackgroundWorker, Worker

    settings = get_settings()
    configure_logging(settings)
    engine = _engine()
    try:
        if once:
            report = Worker(engine, settings).run_once()
            typer.echo(
                f"queued {report.queued}, delivered {report.delivered}, retrying "
                f"{report.retrying}, failed {report.failed}"
            )
            return
        worker = BackgroundWorker(engine, settings)
        signal.signal(signal.SIGTERM, lambda *_: worker.request_stop())
        signal.signal(signal.SIGINT, lambda *_: worker.request_stop())
        typer.echo("webhook worker running; stop with Ctrl-C or SIGTERM")
        worker.run_forever()
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, envvar="WEB_CONCURRENCY", help="Worker processes.")
    ] = 1,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from app.signing import InsecureSecret, signing_key

    try:
        signing_key(get_settings())  # before any worker starts: no usable secret, no service
    except InsecureSecret as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    # The application logs each request itself (JSON, with the request id): no uvicorn
    # access log, and no uvicorn logging config over ours. The application itself takes the
    # client address from X-Forwarded-For, and only from TRUSTED_PROXIES: uvicorn must not
    # rewrite it first (it would believe any loopback peer).
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    app()
