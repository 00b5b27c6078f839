"""The secret that signs paging cursors: SECRET_KEY, or on the embedded database one kept
beside its file."""

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from app.config import Settings, get_settings
from app.db import database_file, embedded

# Values SECRET_KEY must not have: unset, and the development default of earlier versions.
INSECURE_SECRETS = frozenset({"", "dev-only-change-me"})
INSECURE_SECRET_MESSAGE = (
    "Refusing to start: SECRET_KEY is empty or the old development default, and the database "
    "is not the embedded SQLite one. SECRET_KEY signs paging cursors, so anyone who knows it "
    "can forge them. Set it to a long random value, the same on every worker, e.g. the output "
    "of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`. (On SQLite a secret is "
    "generated once and kept in a file beside the database.)"
)


class InsecureSecret(RuntimeError):
    """SECRET_KEY is unset or a known value on a database that needs a real one."""


def signing_key(settings: Settings | None = None) -> str:
    """The secret that signs cursors: SECRET_KEY, or on SQLite one kept beside the database.

    Resolved on first use (importing the application creates no file); the application's
    start-up and `escouting serve` call it first, so a missing secret stops them at once.
    """
    settings = settings or get_settings()
    return _signing_key(settings.secret_key, settings.database_url)


@lru_cache
def _signing_key(secret_key: str, database_url: str) -> str:
    if secret_key.strip() not in INSECURE_SECRETS:
        return secret_key
    if not embedded(database_url):
        raise InsecureSecret(INSECURE_SECRET_MESSAGE)
    file = database_file(database_url)
    if file is None:
        return secrets.token_urlsafe(32)  # an in-memory database lives as long as the process
    return _kept_secret(Path(f"{file}.secret"))


def _kept_secret(path: Path) -> str:
    """The secret in `path`, created (mode 0600) by whichever process gets there first."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker created it: its secret, once written (it writes at once).
        for _ in range(50):
            secret = path.read_text(encoding="utf-8").strip()
            if secret:
                return secret
            time.sleep(0.05)
        raise InsecureSecret(f"{path} is empty: delete it, or write a secret into it.") from None
    except OSError as exc:
        raise InsecureSecret(
            f"Cannot keep a generated secret in {path} ({exc}): set SECRET_KEY."
        ) from exc
    secret = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secret + "\n")
        file.flush()
        os.fsync(file.fileno())
    return secret
