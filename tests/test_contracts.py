"""The table contracts are the schema: a new warehouse (a DuckLake and a plain DuckDB file) holds
exactly the tables, columns, types, nullability and comments its contracts declare; an existing one
is reconciled (a column a contract gained is added) or refused with the reason."""

from __future__ import annotations

import duckdb
import pytest

from common.contracts import POLARS_TYPES, Column, Table, View
from warehouse import schema
from warehouse.connection import connect


@pytest.fixture(scope="module", params=["aigap.ducklake", "aigap.duckdb"])
def migrated(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("contracts") / request.param
    with connect(path) as con:
        schema.migrate(con)
    return path


def live(con) -> tuple[dict, dict, dict]:
    where = "database_name = current_database() AND schema_name IN ('meta', 'core', 'marts')"
    columns = {}
    for name, column, data_type, nullable, comment in con.execute(
        "SELECT schema_name || '.' || table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns() "
        f"WHERE {where} ORDER BY schema_name, table_name, column_index"
    ).fetchall():
        columns.setdefault(name, []).append((column, data_type, nullable, comment))
    tables = dict(
        con.execute(f"SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() WHERE {where}").fetchall()
    )
    views = dict(
        con.execute(f"SELECT schema_name || '.' || view_name, comment FROM duckdb_views() WHERE {where}").fetchall()
    )
    return columns, tables, views


def test_information_schema_is_the_contracts(migrated):
    with connect(migrated, read_only=True) as con:
        columns, tables, views = live(con)
    declared = {c.name: c for c in schema.contracts()}
    assert set(tables) == {n for n, c in declared.items() if isinstance(c, Table)}
    assert set(views) == {n for n, c in declared.items() if isinstance(c, View)}
    for name, contract in declared.items():
        if isinstance(contract, View):
            assert views[name] == contract.doc, name
            continue
        assert tables[name] == contract.doc, name
        expected = [(c.name, c.type, c.nullable, c.doc) for c in contract.columns]
        assert columns[name] == expected, name


def test_every_contract_column_has_a_polars_type_and_every_core_table_an_identity():
    for contract in schema.tables().values():
        assert all(c.type in POLARS_TYPES for c in contract.columns), contract.name
        if contract.kind == "core":
            assert contract.identity and "load_id" in contract.column_names, contract.name


def test_a_warehouse_at_the_contracts_is_left_alone_and_a_new_column_is_added(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        schema.migrate(con)
        assert schema.migrate(con) == []
        # a contract gains a column: the next migrate adds it, keeping every row
        con.execute("INSERT INTO meta.runs (run_id, started_at, state) VALUES ('r1', now(), 'Completed')")
        runs = schema.table("meta.runs")
        grown = Table(runs.name, runs.kind, runs.doc, (*runs.columns, Column("note", "VARCHAR", doc="new")),
                      runs.grain)  # fmt: skip
        declared = schema.contracts()
        monkeypatch.setattr(schema, "contracts", lambda: tuple(grown if c.name == runs.name else c for c in declared))
        monkeypatch.setattr(schema, "digest", lambda: "grown")
        assert schema.migrate(con) == ["contracts@grown"]
        assert con.execute("SELECT run_id, note FROM meta.runs").fetchall() == [("r1", None)]
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'runs' AND column_name = 'note'"
        ).fetchone()[0]
        assert comment == "new"


def test_a_column_whose_type_differs_from_its_contract_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        schema.migrate(con)
        con.execute("ALTER TABLE meta.runs ALTER summary TYPE BIGINT")
        con.execute("DELETE FROM meta.contracts_applied")  # as if the contracts had changed since
        with pytest.raises(schema.SchemaRefused, match=r"meta.runs.summary is BIGINT .* VARCHAR in its contract"):
            schema.migrate(con)


def test_a_warehouse_older_than_the_baseline_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.migrations (name VARCHAR, applied_at TIMESTAMPTZ)")
    con.execute("INSERT INTO meta.migrations VALUES ('001_foundation.sql', now())")
    con.close()
    with connect(path) as con, pytest.raises(schema.SchemaRefused, match="lacks the migrations 002_"):
        schema.migrate(con)
