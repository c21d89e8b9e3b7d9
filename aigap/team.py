"""`aigap setup --team`: one DuckLake shared by several workers (docs/operations.md, "For a team").

What a team shares, and nothing else:
- the Prefect server, on PostgreSQL (PREFECT_API_DATABASE_CONNECTION_URL, asyncpg), with the work
  pool and the limits `aigap setup` makes;
- the warehouse catalog, on PostgreSQL ($AIGAP_CATALOG=`postgres:dbname=... host=...`; a password
  belongs in ~/.pgpass or $PGPASSWORD, never in the catalog string, which the duckdb CLI shows);
- the data path, a folder every worker mounts ($AIGAP_DATA_PATH; `s3://...` where DuckDB's httpfs
  and credentials are set up).
Each worker keeps its own working folder ($AIGAP_WAREHOUSE anchors its staging, reports and raw
landing), so nothing a run leaves half-done on one machine touches another's.
"""

from __future__ import annotations

from pathlib import Path

from common import settings
from warehouse import connection, lake, schema


def team_setup(warehouse: Path) -> list[str]:
    """Check the team settings, create or migrate the shared lake, and say what every worker sets."""

    catalog = settings.catalog() or ""
    data_path = settings.data_path() or ""
    if not catalog.startswith("postgres:"):
        raise ValueError(
            f"set ${settings.CATALOG_ENV} to the PostgreSQL catalog, e.g. "
            f"{settings.CATALOG_ENV}='postgres:dbname=aigap host=db.example user=aigap' (create the database first)"
        )
    if not data_path:
        raise ValueError(f"set ${settings.DATA_PATH_ENV} to the folder every worker mounts (or an s3:// prefix)")
    the_lake = lake.lake_for(warehouse)
    with connection.connect(warehouse) as con:
        applied = schema.migrate(con)
    return [
        f"warehouse: {the_lake.describe()}: "
        + (f"applied migrations {', '.join(applied)}" if applied else "already at the current schema"),
        "every worker's environment needs:",
        f"  {settings.CATALOG_ENV}={catalog}",
        f"  {settings.DATA_PATH_ENV}={data_path}",
        "  PREFECT_API_URL=<this server's API URL>",
        f"  {'AIGAP_WAREHOUSE'}=<a folder of its own>/aigap.ducklake  (its staging, reports and raw landing)",
    ]
