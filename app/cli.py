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
    finally:
        engine.dispose()
    typer.echo(
        f"seeded {summary.suppliers} suppliers, {summary.employees} employees "
        f"in {summary.seconds:.1f} s"
    )


@app.command("create-api-key")
def create_api_key(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    supplier: Annotated[int | None, typer.Option(help="Supplier id (role supplier).")] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Create an API key and print it alone on the last line."""
    from app.auth.caller import SYSTEM
    from app.auth.schemas import ApiKeyCreate
    from app.auth.service import create_api_key as create
    from app.errors import ValidationProblem

    try:
        body = ApiKeyCreate(role=role, supplier_id=supplier, name=name)  # type: ignore[arg-type]
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
            typer.echo(f"created {key.role} key {key.id} ({key.prefix}...); store it now:")
            typer.echo(plaintext)
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    # The application logs each request itself (JSON, with the request id): no uvicorn
    # access log, and no uvicorn logging config over ours. Client addresses are taken from
    # X-Forwarded-For when the peer is in FORWARDED_ALLOW_IPS (uvicorn's variable).
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    app()
