"""Open a store: resolve the URL, create the engine, bring the schema to the latest migration.

SQLite under the output folder (`<out>/callqa.db`) is the embedded default; any SQLAlchemy URL
works, PostgreSQL through psycopg 3 (`postgresql+psycopg://user:pass@host:port/db`; a plain
`postgresql://` URL is read the same way). Alembic's config is built here in code, so
migrations run from an installed package without an alembic.ini on disk.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
DB_FILE = "callqa.db"
MIGRATION_LOCK = 0x63616C6C  # any fixed number: PostgreSQL advisory lock id held while migrating


class StoreError(RuntimeError):
    """The store cannot be opened or written: bad URL, server down, migration failed."""


def default_url(out_dir: Path) -> str:
    return f"sqlite:///{(Path(out_dir) / DB_FILE).resolve()}"


def normalise_url(url: str) -> str:
    """psycopg 3 is the driver we ship; `postgresql://` would otherwise mean psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def error_line(exc: BaseException) -> str:
    """`Type: first line`: a database error's further lines repeat the SQL and its parameters."""
    return f"{type(exc).__name__}: {next(iter(str(exc).splitlines()), '')}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001  (DB-API connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: the review app reads while a batch writes, without "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last writes,
    # which the JSON records (the source of truth) and `callqa ingest` restore.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# Alembic's command API keeps global state: one migration at a time in this process.
_MIGRATING = threading.Lock()


LOCK_SUFFIX = ".lock"


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Across processes, for a SQLite file: flock on `<database>.lock`, a file of its own.

    Never on the database file itself: SQLite's locks are POSIX (fcntl) locks, which belong to
    the process, and closing *any* descriptor of the file drops all of them. A second handle on
    callqa.db opened and closed here let another process take the exclusive lock, checkpoint
    the WAL and delete -wal/-shm under a running server: review decisions were lost and the
    file corrupted (issue 10)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    fd = os.open(database + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def migrate(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with _MIGRATING, _sqlite_file_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # The review app and a batch may open a new store at once: one migrates, the other
            # waits here and then finds the schema current.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    url: str

    def session(self) -> Session:
        """A new session; `with store.session() as session:` closes it at the end of the block."""
        return self.sessions()

    @property
    def display_url(self) -> str:
        return safe_url(self.url)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, migrate_schema: bool = True) -> Store:
    """Connect and upgrade the schema to head (a no-op when it is current)."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r} (e.g. sqlite:///out/callqa.db or postgresql+psycopg://user@host/db)") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database {safe_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if migrate_schema:
            migrate(engine)
    except (SQLAlchemyError, CommandError) as exc:  # CommandError: a revision this callqa does not know (a newer schema)
        engine.dispose()
        raise StoreError(f"cannot open database {safe_url(url)}: {error_line(exc)}") from exc
    # expire_on_commit=False: rows read in a session stay usable after it commits and closes.
    return Store(engine, sessionmaker(engine, expire_on_commit=False), url)
