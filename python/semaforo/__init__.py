"""Semáforo for Python: compile customs risk rules, evaluate declarations.

    >>> import semaforo
    >>> rs = semaforo.compile("examples/regional/regional.sem",
    ...     lists={"watched_importers": "examples/regional/lists/watched_importers.txt",
    ...            "watched_declarants": "examples/regional/lists/watched_declarants.txt"},
    ...     tables={"reference_price": "examples/regional/tables/reference_price.csv"})
    >>> out = rs.evaluate(decl_dict, today="2026-11-15", sampling_key=key)  # doctest: +SKIP
    >>> out["lane"]                                                           # doctest: +SKIP
    'red'

The engine is the same Rust library every other host embeds (the
``semaforo`` crate); this package adds argument handling, DataFrame
conversion and the backtest tables. See ``docs/python.md``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence, Union

from ._semaforo import (
    ENGINE_VERSION,
    CompileError,
    EvaluationError,
    InputError,
    SemaforoError,
)
from ._semaforo import NativeRuleset as _NativeRuleset
from ._semaforo import compile as _compile

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import pyarrow

__all__ = [
    "ENGINE_VERSION",
    "Backtest",
    "CompileError",
    "EvaluationError",
    "InputError",
    "Ruleset",
    "SemaforoError",
    "compile",
    "load_sampling_key",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Rows evaluated per Arrow batch handed to the engine (the GIL is released
#: for each).
DEFAULT_BATCH_SIZE = 65_536


def _read(path: PathLike) -> str:
    # The files are read as UTF-8 text; the engine then applies its one
    # character policy (a BOM, a bare carriage return or an invisible
    # character is reported with its line), as the command line does.
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def compile(
    sources: PathLike | Sequence[PathLike] | Mapping[str, str],
    *,
    lists: Mapping[str, PathLike | Iterable[str]] | None = None,
    tables: Mapping[str, PathLike | Mapping[str, Any]] | None = None,
) -> Ruleset:
    """Compiles a ruleset.

    ``sources``: a path, a list of paths, or a dict of name -> rule text
    (the name is what diagnostics show). ``lists``: name -> a path to a
    list file (one entry a line, ``#`` comments) or an iterable of entries.
    ``tables``: name -> a path to a CSV file (``key,value``, or ``key`` and
    the declared columns), a dict key -> value, or a dict key -> dict of
    column -> value (a multi-column table; ``None`` for an empty cell).
    Numbers may be given as ``int``, ``float`` or ``decimal.Decimal``; they
    are passed as text and typed by the ruleset's declaration.

    Raises ``CompileError`` (its message the rendered diagnostics, with
    ``.diagnostics`` as dicts) when the rules or the data are wrong.
    """
    if isinstance(sources, Mapping):
        src = [(str(k), str(v)) for k, v in sources.items()]
    else:
        paths = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
        src = [(os.fspath(p), _read(p)) for p in paths]
    list_files, list_values = [], []
    for name, value in (lists or {}).items():
        if isinstance(value, (str, os.PathLike)):
            list_files.append((name, os.fspath(value), _read(value)))
        else:
            list_values.append((name, [_text(v) for v in value]))
    table_files, table_pairs, table_rows = [], [], []
    for name, value in (tables or {}).items():
        if isinstance(value, (str, os.PathLike)):
            table_files.append((name, os.fspath(value), _read(value)))
            continue
        items = list(value.items())
        if items and all(isinstance(v, Mapping) for _, v in items):
            columns = sorted({c for _, row in items for c in row})
            rows = [
                (_text(k), [None if row.get(c) is None else _text(row[c]) for c in columns])
                for k, row in items
            ]
            table_rows.append((name, columns, rows))
        else:
            table_pairs.append((name, [(_text(k), _text(v)) for k, v in items]))
    native = _compile(src, list_files, list_values, table_files, table_pairs, table_rows)
    return Ruleset(native)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"`{v}` cannot be a list or table entry")
    return str(v)


def load_sampling_key(path: PathLike) -> bytes:
    """Reads a sampling key file as the command line does: one line of 32
    hexadecimal digits, besides ``#`` comment lines and blank lines."""
    lines = [
        line.strip()
        for line in _read(path).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if len(lines) != 1:
        raise ValueError(
            f"`{os.fspath(path)}`: expected one line with the sampling key "
            "(32 hexadecimal digits), besides `#` comment lines"
        )
    return _key_from_hex(lines[0])


def _key_from_hex(text: str) -> bytes:
    if len(text) != 32:
        raise ValueError("the sampling key must be exactly 32 hexadecimal digits (128 bits)")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(
            "the sampling key must be exactly 32 hexadecimal digits (128 bits)"
        ) from None


def _context(today: Any, sampling_key: Any, sampling_key_id: str | None) -> tuple[str, bytes, str]:
    if isinstance(today, _dt.datetime):
        raise TypeError("`today` is a date, not a datetime: pass `.date()`")
    if isinstance(today, _dt.date):
        today = today.isoformat()
    if not isinstance(today, str):
        raise TypeError(f"`today` must be a date or 'YYYY-MM-DD', not {type(today).__name__}")
    if sampling_key is None:
        warnings.warn(
            "no sampling key given: using the all-zero key, so sampled rules select predictably",
            stacklevel=3,
        )
        key, default_id = bytes(16), "zero-key"
    else:
        if isinstance(sampling_key, (bytes, bytearray)):
            key = bytes(sampling_key)
            if len(key) != 16:
                raise ValueError("the sampling key must be exactly 16 bytes")
        elif isinstance(sampling_key, os.PathLike):
            key = load_sampling_key(sampling_key)
        elif isinstance(sampling_key, str):
            key = _key_from_hex(sampling_key.strip())
        else:
            raise TypeError("`sampling_key` must be 16 bytes, 32 hex digits or a key file path")
        # The command line's default label: never the key, only a digest.
        default_id = "sha256:" + hashlib.sha256(key).hexdigest()[:16]
    return today, key, sampling_key_id if sampling_key_id is not None else default_id


def _is_pandas(data: Any) -> bool:
    mod = type(data).__module__
    return mod.startswith("pandas") and type(data).__name__ == "DataFrame"


def _arrow_input(data: Any) -> Any:
    """Something the engine reads through the Arrow C stream interface."""
    if _is_pandas(data):
        import pyarrow as pa

        # The index is not a column of the declarations.
        return pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return data
    if hasattr(data, "to_arrow"):  # older polars, DuckDB relations
        return data.to_arrow()
    raise TypeError(
        "expected a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or a "
        f"polars DataFrame (anything with `__arrow_c_stream__`), not {type(data).__name__}"
    )


class Ruleset:
    """A compiled, immutable ruleset. Safe to share between threads."""

    def __init__(self, native: _NativeRuleset):
        self._native = native

    def __repr__(self) -> str:
        return f"<semaforo.Ruleset {self.name!r} {self.version!r} {self.fingerprint[:16]}>"

    @property
    def name(self) -> str:
        """``ruleset NAME``."""
        return self._native.name

    @property
    def version(self) -> str:
        """The ruleset's version."""
        return self._native.version

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the rule sources and the external data, hexadecimal
        (the ``ruleset.fingerprint`` of every outcome)."""
        return self._native.fingerprint

    @property
    def engine(self) -> str:
        """The engine version that evaluates (``ruleset.engine``)."""
        return ENGINE_VERSION

    @property
    def key_field(self) -> str:
        """The schema's key field (the declaration's id)."""
        return self._native.key_field

    @property
    def lanes(self) -> list[str]:
        """The lanes, least severe (the default) first."""
        return self._native.lanes

    @property
    def rules(self) -> list[dict[str, Any]]:
        """Every rule in ruleset order: ``id``, ``title``, ``lane``, ``score``,
        ``monitor``."""
        return self._native.rules()

    @property
    def unindexed_rules(self) -> list[str]:
        """The ids of the rules the rule index never skips, in ruleset
        order: no top-level conjunct of their condition is a guard it uses,
        so they are evaluated for every declaration (``semaforo check
        --index``; see ``docs/performance.md``, "Writing rules the index can
        use"). Rules whose profile status keeps them from being evaluated
        are left out."""
        return self._native.unindexed_rules()

    @property
    def schema(self) -> list[dict[str, Any]]:
        """The schema's fields: ``name``, ``type``, ``optional`` (and ``fields``
        for a list of records)."""
        return self._native.schema()

    @property
    def warnings(self) -> str:
        """The compiler's warnings, rendered (empty without any)."""
        return self._native.warnings()

    def evaluate(
        self,
        declaration: Mapping[str, Any] | str | bytes,
        *,
        today: _dt.date | str,
        sampling_key: bytes | str | os.PathLike[str] | None = None,
        sampling_key_id: str | None = None,
    ) -> dict[str, Any]:
        """Evaluates one declaration (a dict, or one JSON object as str or
        bytes) and returns the outcome record of ``semaforo eval``: ``id``,
        ``lane``, ``score``, ``fired``, ``monitored``, ``draws``, ``notes``,
        ``undetermined``, ``today``, ``sampling_key_id``, ``ruleset``.

        Raises ``InputError`` if the declaration does not match the schema
        (the message names the field path), ``EvaluationError`` if the
        evaluator hit a limit.
        """
        ctx = _context(today, sampling_key, sampling_key_id)
        return json.loads(self._native.evaluate(_declaration(declaration), *ctx))

    def explain(
        self,
        declaration: Mapping[str, Any] | str | bytes,
        *,
        today: _dt.date | str,
        sampling_key: bytes | str | os.PathLike[str] | None = None,
        sampling_key_id: str | None = None,
        all: bool = False,
    ) -> str:
        """Why the declaration got its lane: the verdict, then each fired or
        undetermined rule's condition with the value of every sub-expression
        (``all=True``: every rule's)."""
        ctx = _context(today, sampling_key, sampling_key_id)
        return self._native.explain(_declaration(declaration), *ctx, all=all)

    def evaluate_arrow(
        self,
        data: Any,
        *,
        today: _dt.date | str,
        sampling_key: bytes | str | os.PathLike[str] | None = None,
        sampling_key_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int = 1,
    ) -> pyarrow.Table:
        """Evaluates every row of a table: a pyarrow Table, RecordBatch or
        RecordBatchReader, a pandas or polars DataFrame (anything with
        ``__arrow_c_stream__``). Columns are the schema's fields by name; a
        list of records is a list<struct> column. Returns a pyarrow Table
        with one row per input row, in order: ``id``, ``lane``, ``score``,
        ``fired``, ``monitored``, ``overridden``, ``notes``, ``undetermined``,
        ``error``. A
        row that cannot be read has its message in ``error`` and a null lane.

        ``threads``: evaluation threads (0: one per core); the output is the
        same for any number. The GIL is released while evaluating.

        Raises ``InputError`` when a column cannot be read at all (a type the
        field cannot hold, a required column absent), naming the column.
        """
        ctx = _context(today, sampling_key, sampling_key_id)
        return self._native.evaluate_arrow(
            _arrow_input(data), *ctx, batch_size=batch_size, threads=threads
        )

    def evaluate_batches(
        self,
        batches: Iterable[Any],
        *,
        today: _dt.date | str,
        sampling_key: bytes | str | os.PathLike[str] | None = None,
        sampling_key_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Iterator[pyarrow.RecordBatch]:
        """Evaluates a stream of record batches, yielding outcome batches
        (the shape Spark's ``mapInArrow`` wants)."""
        ctx = _context(today, sampling_key, sampling_key_id)
        for batch in batches:
            table = self._native.evaluate_arrow(_arrow_input(batch), *ctx, batch_size=batch_size)
            yield from table.to_batches()

    def backtest(
        self,
        data: Any,
        outcome_column: str,
        *,
        today: _dt.date | str,
        sampling_key: bytes | str | os.PathLike[str] | None = None,
        sampling_key_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int = 1,
    ) -> Backtest:
        """Evaluates a history and measures the rules against the inspection
        results in ``outcome_column``, as ``semaforo backtest`` does
        (``docs/backtesting.md``): 0/false = inspected, nothing found;
        1/true or a number above 0 = a finding; null = not inspected.
        Returns a :class:`Backtest` of pandas DataFrames."""
        from . import _backtest

        import pyarrow as pa

        table = pa.table(_arrow_input(data))
        if outcome_column not in table.column_names:
            raise InputError(f"the table has no column `{outcome_column}` (the outcome)")
        outcomes = self.evaluate_arrow(
            table,
            today=today,
            sampling_key=sampling_key,
            sampling_key_id=sampling_key_id,
            batch_size=batch_size,
            threads=threads,
        )
        return _backtest.backtest(self, outcomes, table.column(outcome_column))


def _declaration(d: Any) -> Any:
    if isinstance(d, (Mapping, str, bytes)):
        return dict(d) if isinstance(d, Mapping) and not isinstance(d, dict) else d
    raise InputError(f"expected a dict or JSON (str or bytes), found {type(d).__name__}")


@dataclass(frozen=True)
class Backtest:
    """What ``Ruleset.backtest`` measured; the numbers and names of
    ``semaforo backtest --format json``."""

    #: ``declarations`` (read), ``rejected``, ``evaluated``, ``labelled``
    #: (with a known result), ``positives`` (with a finding), ``base_rate``.
    summary: dict[str, Any]
    #: One row per lane: ``lane``, ``count``, ``share``, ``hits``, ``hit_rate``.
    lanes: pandas.DataFrame
    #: One row per rule (shadow rules apart): ``id``, ``title``, ``fired``,
    #: ``share``, ``undetermined``, ``forced``, ``points``, ``mean_points``,
    #: ``hits``, ``hit_rate``, ``recall``, ``lift``.
    rules: pandas.DataFrame
    #: The same for shadow rules (``monitor``), with ``fired`` meaning
    #: "would have fired".
    shadow_rules: pandas.DataFrame
    #: ``k_percent``, ``inspected``, ``hits``, ``precision``, ``recall``,
    #: ``min_score``: inspecting the top k% by score; the hits among the
    #: declarations tied at the cut score are their expected number under
    #: a random pick, so ``hits`` may be fractional.
    top: pandas.DataFrame
    #: The score histogram of evaluated declarations: ``from``, ``to``
    #: (both included), ``count``, ``hits`` (with a finding); one row per
    #: distinct score when there are at most 30, else about 20 equal
    #: ranges, as ``semaforo backtest`` bins them.
    histogram: pandas.DataFrame
    #: Every row's outcome (``evaluate_arrow``'s table).
    outcomes: pyarrow.Table
