"""Stubs of the native module (Rust, PyO3). Use the ``semaforo`` package's
functions and ``Ruleset`` class; this module is their implementation."""

from typing import Any

ENGINE_VERSION: str

class SemaforoError(Exception):
    """Base class of every error the semaforo package raises."""

class CompileError(SemaforoError):
    """The rules or their external data could not be compiled. ``str(e)``
    is the rendered diagnostics (as ``semaforo check`` prints them)."""

    #: Every diagnostic as a dict: ``code``, ``severity``, ``message``,
    #: ``file``, ``line``, ``column``, ... (``semaforo check --format json``).
    diagnostics: list[dict[str, Any]]
    #: The rendered diagnostics without the summary line.
    rendered: str

class InputError(SemaforoError):
    """A declaration, or a column of a table, could not be read; the
    message names the field path, the row or the column."""

class EvaluationError(SemaforoError):
    """The evaluator hit a limit on a declaration."""

class NativeRuleset:
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def key_field(self) -> str: ...
    @property
    def lanes(self) -> list[str]: ...
    def rules(self) -> list[dict[str, Any]]: ...
    def unindexed_rules(self) -> list[str]: ...
    def schema(self) -> list[dict[str, Any]]: ...
    def warnings(self) -> str: ...
    def evaluate(self, decl: dict[str, Any] | str | bytes, today: str, key: bytes, key_id: str) -> str: ...
    def explain(
        self, decl: dict[str, Any] | str | bytes, today: str, key: bytes, key_id: str, all: bool = False
    ) -> str: ...
    def evaluate_arrow(
        self,
        data: Any,
        today: str,
        key: bytes,
        key_id: str,
        batch_size: int = 65536,
        threads: int = 1,
    ) -> Any: ...

def compile(
    sources: list[tuple[str, str]],
    list_files: list[tuple[str, str, str]],
    lists: list[tuple[str, list[str]]],
    table_files: list[tuple[str, str, str]],
    tables: list[tuple[str, list[tuple[str, str]]]],
    table_rows: list[tuple[str, list[str], list[tuple[str, list[str | None]]]]],
) -> NativeRuleset: ...
