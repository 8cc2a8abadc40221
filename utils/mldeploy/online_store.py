"""A small keyed online store: publish a table of precomputed rows, look rows up by key in microseconds.

A batch job writes predictions (or features) to Delta, which is good at scans and bad at answering one key
fast. ``OnlineStore`` copies such a table into a row store with a primary key on the lookup key, so a web
server can answer ``get("flight_predictions", 42)`` without Spark. It is the course's local stand-in for a
managed online store (Databricks' Online Feature Store on Lakebase, DynamoDB, Redis...)::

    store = OnlineStore()                                  # work/online_store.db, or $MLDEPLOY_ONLINE_STORE
    store.publish("flight_predictions", frame, key="flight_id")   # upsert: same key -> replaced
    store.get("flight_predictions", 42)                    # {"flight_id": 42, ...} or None
    store.get_many("flight_predictions", [1, 2, 3])        # a pandas DataFrame of the rows found

Where it lives: an explicit ``url`` (an SQLAlchemy URL such as ``postgresql+psycopg://...``, or a file path
for SQLite), else the environment variable ``MLDEPLOY_ONLINE_STORE``, else an embedded SQLite file
``online_store.db`` in the lesson's ``work`` folder. Table and column names are checked against a strict
pattern and every value is a bound parameter: no SQL is ever built from data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

#: The environment variable that points every ``OnlineStore()`` at a real database (an SQLAlchemy URL).
STORE_VARIABLE = "MLDEPLOY_ONLINE_STORE"
#: Names a table or column may have: letters, digits and underscores, not starting with a digit.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
#: Keys per DELETE/SELECT statement: below every database's limit on bound parameters.
_CHUNK = 500


class UnknownTableError(LookupError):
    """A lookup named a table the store does not hold; the message lists the tables it does hold."""


def check_identifier(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a safe SQL identifier, else raise ``ValueError`` saying what is allowed."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"Invalid {what} {name!r}: use letters, digits and underscores only, starting with a letter or "
            "underscore (at most 63 characters). Rename the table or column before publishing."
        )
    return name


def _column_type(series: pd.Series) -> sa.types.TypeEngine:
    """The SQL type for a pandas column (dates and timestamps keep their type; anything else is text)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(dtype):
        return sa.Float()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return sa.DateTime()
    sample = series.dropna()
    if len(sample) and isinstance(sample.iloc[0], datetime):
        return sa.DateTime()
    if len(sample) and isinstance(sample.iloc[0], date):
        return sa.Date()
    return sa.String()


def _native(value: Any) -> Any:
    """A value database drivers accept: numpy scalars become Python ones, missing values become None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _to_pandas(frame: Any) -> pd.DataFrame:
    """A pandas frame from a pandas or Spark (classic or Connect) DataFrame."""
    if isinstance(frame, pd.DataFrame):
        return frame
    if hasattr(frame, "toPandas"):
        return frame.toPandas()
    raise TypeError(f"publish takes a pandas or Spark DataFrame, not {type(frame).__name__}.")


def default_url() -> str:
    """``$MLDEPLOY_ONLINE_STORE`` if set, else SQLite in ``./work/online_store.db``."""
    if os.environ.get(STORE_VARIABLE):
        return os.environ[STORE_VARIABLE]
    from .paths import lesson_dir

    return f"sqlite:///{lesson_dir() / 'online_store.db'}"


class OnlineStore:
    """Keyed tables of precomputed rows, published in bulk and read one key (or a few) at a time."""

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        if url is None:
            url = default_url()
        elif isinstance(url, os.PathLike) or "://" not in str(url):
            path = Path(url).expanduser().resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{path}"
        self.url = str(url)
        # The engine's pool keeps connections open between calls: a lookup does not pay for a connect.
        self.engine = sa.create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._tables: dict[str, sa.Table] = {}

    def __repr__(self) -> str:
        return f"OnlineStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> OnlineStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections (a SQLite file can then be deleted)."""
        self.engine.dispose()

    # --- tables -------------------------------------------------------------------------------------

    def tables(self) -> list[str]:
        """The names of the tables this store holds."""
        return sorted(sa.inspect(self.engine).get_table_names())

    def _table(self, name: str) -> sa.Table:
        """The table ``name`` (reflected once, then cached), or ``UnknownTableError`` listing the others."""
        check_identifier(name, "table name")
        if name not in self._tables:
            if not sa.inspect(self.engine).has_table(name):
                raise UnknownTableError(
                    f"The online store {self!r} has no table {name!r}; it has {self.tables()}. "
                    f"Publish it first: store.publish({name!r}, frame, key=...)."
                )
            self._tables[name] = sa.Table(name, sa.MetaData(), autoload_with=self.engine)
        return self._tables[name]

    def _key_column(self, table: sa.Table) -> sa.Column:
        """The lookup key: the table's primary key (a table made elsewhere may lack one)."""
        columns = list(table.primary_key.columns)
        if len(columns) != 1:
            raise ValueError(
                f"Table {table.name!r} has no single-column primary key, so it cannot be looked up by key: "
                f"store.drop({table.name!r}) and publish it with store.publish(..., key=...)."
            )
        return columns[0]

    def count(self, table: str) -> int:
        """How many rows ``table`` holds."""
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(self._table(table))).scalar_one())

    def drop(self, table: str) -> None:
        """Delete ``table`` (to publish it again with other columns)."""
        check_identifier(table, "table name")
        sa.Table(table, sa.MetaData()).drop(self.engine, checkfirst=True)
        self._tables.pop(table, None)

    # --- writing ------------------------------------------------------------------------------------

    def publish(self, table: str, frame: Any, key: str) -> int:
        """Upsert the rows of ``frame`` (pandas or Spark) into ``table``, keyed by its column ``key``.

        Rows whose key is already stored are replaced, the others added, all in one transaction: a reader
        sees the table before or after the publish, never half of it. The first publish creates the table
        with a primary key on ``key``. Returns the number of rows published.
        """
        check_identifier(table, "table name")
        check_identifier(key, "key column")
        rows = _to_pandas(frame)
        for column in rows.columns:
            check_identifier(column, "column name")
        if key not in rows.columns:
            raise ValueError(f"The frame has no key column {key!r}; its columns are {list(rows.columns)}.")
        if rows[key].isna().any():
            raise ValueError(f"The key column {key!r} has missing values: every row needs a key.")
        duplicated = rows[key][rows[key].duplicated()]
        if len(duplicated):
            raise ValueError(
                f"The key {key!r} repeats in the frame ({len(duplicated)} rows, e.g. {duplicated.head(5).tolist()}): "
                "one row per key, so a lookup has one answer. Deduplicate before publishing."
            )
        target = self._create_or_check(table, rows, key)
        records = [{c: _native(v) for c, v in zip(rows.columns, values)} for values in rows.itertuples(index=False)]
        keys = [record[key] for record in records]
        key_column = target.c[key]
        with self.engine.begin() as connection:  # one transaction: all replaced, or nothing
            for start in range(0, len(keys), _CHUNK):
                connection.execute(sa.delete(target).where(key_column.in_(keys[start:start + _CHUNK])))
            if records:
                connection.execute(sa.insert(target), records)
        return len(records)

    def _create_or_check(self, table: str, rows: pd.DataFrame, key: str) -> sa.Table:
        """Create ``table`` for these columns, or check the existing one has the same columns and key."""
        try:
            existing = self._table(table)
        except UnknownTableError:
            columns = [sa.Column(name, _column_type(rows[name]), primary_key=(name == key)) for name in rows.columns]
            created = sa.Table(table, sa.MetaData(), *columns)
            created.create(self.engine)
            self._tables[table] = created
            return created
        stored_key = self._key_column(existing).name
        if stored_key != key or set(existing.c.keys()) != set(rows.columns):
            raise ValueError(
                f"Table {table!r} holds columns {list(existing.c.keys())} keyed by {stored_key!r}; this frame has "
                f"{list(rows.columns)} keyed by {key!r}. Publish the same columns, or store.drop({table!r}) first."
            )
        return existing

    # --- reading ------------------------------------------------------------------------------------

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        """The row of ``table`` whose key is ``key``, as a dict, or None when there is none."""
        target = self._table(table)
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(target).where(self._key_column(target) == _native(key))
            ).mappings().first()
        return None if row is None else dict(row)

    def get_many(self, table: str, keys: Iterable[Any]) -> pd.DataFrame:
        """The rows of ``table`` for ``keys``, in the order asked; keys not found are absent (compare lengths)."""
        target = self._table(table)
        key_column = self._key_column(target)
        wanted = [_native(key) for key in keys]
        found: dict[Any, dict[str, Any]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                result = connection.execute(sa.select(target).where(key_column.in_(wanted[start:start + _CHUNK])))
                found.update({row[key_column.name]: dict(row) for row in result.mappings()})
        return pd.DataFrame([found[key] for key in wanted if key in found], columns=list(target.c.keys()))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets a web server keep reading while a batch job publishes; NORMAL sync is safe with WAL."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
