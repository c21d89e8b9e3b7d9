"""One model graph, one lineage per model (core.model_lineage). Pure functions.

Lineage answers "whose base model is this?": the developer who pretrained the weights a model was
built on, found by following base-model edges through fine-tunes and merges.

The graph
- Nodes: every model on any leaderboard, keyed case-insensitively (`model_key`): Hugging Face ids
  (`namespace/name`, the Open LLM boards) and Arena model keys (no `/`). A model listed on v1 and v2
  is one node, so it has one lineage everywhere.
- Edges (model -> the model it was built on), from every source that carries one:
  - reported: a board's `base_model` (Open LLM v2, archived or from the Hub). Per model the most
    recent usable report wins; `Removed`, a self-reference and a merge listing no parents are not
    edges (their text is kept as the reason);
  - curated: data/registry/lineage.csv, one cited edge per row (model cards are the usual source).
    A curated edge replaces what a board reports for that model. `base_publisher` names the
    developer of a base that is on no board and has no Hub id (LLaMA 1).

Resolution (once per model, the same on every board)
1. Follow edges from the model until a node has none (or a cycle, or MAX_HOPS).
2. That last node is a root when its publisher is a foundation-model developer
   (data/registry/foundation_developers.csv, each with a citation). Its developer is the lineage:
   `root` when the model itself is the root, `base model chain` when reported edges led there,
   `curated edge` when at least one edge on the way was curated. A self-referencing `base_model`
   is therefore a root only for a foundation developer; from anyone else it is missing metadata.
   Being published by a foundation developer is not proof of a root: an edge (reported or curated)
   from one of its models to another developer's model is followed.
3. Otherwise the chain is unresolved. The architecture may then stand in, but only an architecture
   whose weights come from one developer alone (`weights = exclusive` in architectures.csv, with
   a citation: Qwen2ForCausalLM -> Alibaba): method `exclusive architecture`. A shared architecture
   (Llama, Mistral, Mixtral ...) says nothing about whose weights these are: method `unattributed`,
   with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from attribution.contract import MODEL_LINEAGE
from attribution.registry import Registry

MAX_HOPS = 50  # base-model chains are short; anything longer is a data error

# core.model_lineage `method`: how a model's lineage was established (resolved ones first)
ROOT = "root"
CHAIN = "base model chain"
CURATED = "curated edge"
ARCHITECTURE = "exclusive architecture"
UNRESOLVED = "unattributed"
GRAPH_METHODS = (ROOT, CHAIN, CURATED)  # resolved through the model graph
METHODS = (*GRAPH_METHODS, ARCHITECTURE, UNRESOLVED)

LINEAGE_COLUMNS = MODEL_LINEAGE.column_names
LINEAGE_SCHEMA = MODEL_LINEAGE.polars_schema()


def model_key(model_id: pl.Expr | str):
    """Hub ids are case-insensitive and Arena keys are lower-cased: one key per model."""
    return model_id.lower() if isinstance(model_id, str) else model_id.str.to_lowercase()


def base_model_edge(model_id: str, base_model: str | None) -> tuple[str | None, str]:
    """The parent a reported `base_model` points to, or None with the reason it is unusable."""
    if base_model is None or not base_model.strip():
        return None, "no base model reported"
    value = base_model.strip()
    if value == "Removed":
        return None, "base model 'Removed'"
    if value.endswith(" (Merge)"):
        value = value.removesuffix(" (Merge)").strip()
        if value.lower() == model_id.lower():
            return None, "a merge whose parents are not listed"
    if value.lower() == model_id.lower():
        return None, "base model points to itself"
    return value, "reported base model"


# --- the graph --------------------------------------------------------------------------------


def graph_nodes(facts: pl.DataFrame) -> pl.DataFrame:
    """One row per model across boards: model_key, model_id (first spelling in sort order), the
    boards it is on, its publisher (and which registry aliases name it) and its architecture.

    `facts`: attribution.attribute.model_facts of every board, concatenated."""
    return (
        facts.with_columns(model_key(pl.col("model_id")).alias("model_key"))
        .sort("model_key", "leaderboard", "model_id")
        .group_by("model_key", maintain_order=True)
        .agg(
            pl.col("model_id").first(),
            pl.col("leaderboard").unique(maintain_order=True).str.join(",").alias("leaderboards"),
            pl.col("publisher").drop_nulls().first(),
            pl.col("publisher_alias_type").first(),
            pl.col("architecture").drop_nulls().first(),
        )
    )


def reported_edges(boards: list[pl.DataFrame]) -> pl.DataFrame:
    """Per model (model_key): the most recent usable `base_model` any board reports, with where and
    when it was reported; for a model whose reports are all unusable, the latest one's reason.

    Columns: model_key, base_model (None when unusable), reason, leaderboard, reported_on."""
    reports = [
        board.filter(pl.col("base_model").is_not_null())
        .group_by("leaderboard", "model_id", "base_model")
        .agg(pl.col("snapshot_date").max().alias("reported_on"))
        for board in boards
        if "base_model" in board.columns
    ]
    schema = {"model_key": pl.Utf8, "base_model": pl.Utf8, "reason": pl.Utf8, "leaderboard": pl.Utf8,
              "reported_on": pl.Date}  # fmt: skip
    if not reports:
        return pl.DataFrame(schema=schema)
    distinct = pl.concat(reports)
    rows = []
    for row in distinct.iter_rows(named=True):
        parent, reason = base_model_edge(row["model_id"], row["base_model"])
        detail = reason if parent else f"{reason} ({row['base_model']!r})" if row["base_model"] else reason
        rows.append((model_key(row["model_id"]), parent, detail, row["leaderboard"], row["reported_on"]))
    edges = pl.DataFrame(rows, schema=schema, orient="row")
    # usable reports first, then the most recent; ties: first base model in sort order
    return edges.sort(
        [pl.col("base_model").is_null(), "reported_on", "base_model", "leaderboard"],
        descending=[False, True, False, False],
        nulls_last=True,
    ).unique("model_key", keep="first", maintain_order=True)


@dataclass(frozen=True)
class Edge:
    parent: str | None  # None: no usable edge (then `detail` says why)
    detail: str  # where the edge comes from, or why there is none
    curated: bool = False


@dataclass(frozen=True)
class _Org:
    org_id: str
    organisation: str | None
    country: str | None


def _orgs(registry: Registry) -> dict[str, _Org]:
    return {
        r["org_id"]: _Org(r["org_id"], r["name"], r["country"]) for r in registry.organisations.iter_rows(named=True)
    }


def _aliases(registry: Registry) -> dict[tuple[str, str], str]:
    return {(r["alias_type"], r["alias"].lower()): r["org_id"] for r in registry.aliases.iter_rows(named=True)}


def resolve_lineage(facts: pl.DataFrame, reported: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """core.model_lineage: every model's lineage, resolved once (see the module docstring)."""
    orgs, aliases = _orgs(registry), _aliases(registry)
    founders = set(registry.foundation_developers["org_id"])
    exclusive = {
        r["architecture"]: r["org_id"]
        for r in registry.architectures.iter_rows(named=True)
        if r["weights"] == "exclusive" and r["org_id"]
    }
    nodes = {r["model_key"]: r for r in graph_nodes(facts).iter_rows(named=True)}
    curated: dict[str, tuple[Edge, str | None]] = {}
    for r in registry.lineage.iter_rows(named=True):
        source = f"curated: {r['source']}"
        curated[model_key(r["model_id"])] = (Edge(r["base_model"], source, curated=True), r["base_publisher"])
    base_publishers = {model_key(base): org for edge, org in curated.values() if org for base in [edge.parent]}
    reports = {
        r["model_key"]: Edge(
            r["base_model"],
            f"{r['leaderboard']} base_model, {r['reported_on']}" if r["base_model"] else r["reason"],
        )
        for r in reported.iter_rows(named=True)
    }

    def edge_of(key: str) -> Edge:
        if key in curated:
            return curated[key][0]
        return reports.get(key) or Edge(None, "no base model reported" if key in nodes else "on no leaderboard")

    def publisher_of(key: str, shown: str) -> str | None:
        node = nodes.get(key)
        if node is not None and node["publisher"] is not None:
            return aliases.get((node["publisher_alias_type"], node["publisher"].lower()))
        if key in base_publishers:
            return base_publishers[key]
        return aliases.get(("hf_namespace", shown.split("/")[0].lower())) if "/" in shown else None

    def label(org_id: str | None) -> str:
        org = orgs.get(org_id) if org_id else None
        return f"{org_id} ({org.country or 'country unknown'})" if org else "an organisation not in the registry"

    rows = []
    for key, node in nodes.items():
        chain, seen, sources, curated_edges, stop = [node["model_id"]], {key}, [], 0, None
        current = key
        while len(chain) <= MAX_HOPS:
            edge = edge_of(current)
            if edge.parent is None:
                stop = edge.detail
                break
            parent_key = model_key(edge.parent)
            if parent_key in seen:
                stop = f"cycle at {edge.parent}"
                break
            sources.append(f"{chain[-1]} -> {edge.parent} ({edge.detail})")
            chain.append(edge.parent)
            seen.add(parent_key)
            curated_edges += edge.curated
            current = parent_key
        else:
            stop = f"more than {MAX_HOPS} hops"
        path = " -> ".join(chain)
        edges_note = f"; edges: {'; '.join(sources)}" if sources else ""
        root = chain[-1]
        root_org = publisher_of(current, root)
        publisher_org = publisher_of(key, node["model_id"])
        hops = len(chain) - 1
        if not stop.startswith(("cycle", "more than")) and root_org in founders:
            method = ROOT if hops == 0 else CURATED if curated_edges else CHAIN
            org = orgs[root_org]
            evidence = (
                f"{path}: published by {label(root_org)}, a foundation-model developer; "
                f"{'no edge to another developer' if hops == 0 else 'its root'} ({stop}){edges_note}"
            )
            rows.append((key, node["model_id"], node["leaderboards"], publisher_org, root, org.org_id,
                         org.organisation, org.country, method, hops, curated_edges, path, evidence))  # fmt: skip
            continue
        if stop.startswith(("cycle", "more than")):
            reason = f"{stop} in {path}"
        elif root_org is None:
            reason = f"{path} stops at {root}, whose publisher is not in the registry ({stop})"
        else:
            reason = f"{path} stops at {root} ({stop}); {label(root_org)} is not a foundation-model developer"
        architecture = node["architecture"]
        developer = exclusive.get(architecture) if architecture else None
        if developer:
            org = orgs[developer]
            evidence = f"{reason}; {architecture} holds only {label(developer)}'s weights{edges_note}"
            rows.append((key, node["model_id"], node["leaderboards"], publisher_org, None, org.org_id,
                         org.organisation, org.country, ARCHITECTURE, hops, curated_edges, path, evidence))  # fmt: skip
            continue
        why = (
            f"{architecture} is a shared architecture"
            if architecture
            else "no architecture reported"
            if node["publisher_alias_type"] == "hf_namespace"
            else "the leaderboard reports no architecture"
        )
        rows.append((key, node["model_id"], node["leaderboards"], publisher_org, None, None, None, None,
                     UNRESOLVED, hops, curated_edges, path, f"{reason}; {why}{edges_note}"))  # fmt: skip
    return pl.DataFrame(rows, schema=LINEAGE_SCHEMA, orient="row").select(LINEAGE_COLUMNS).sort("model_key")
