"""The store: a queryable copy of the per-call records (SQLite by default, PostgreSQL by URL).

    open_store(url) -> Store            connect + migrate to head; store.session() gives a Session
    default_url(out_dir)                sqlite:///<out>/callqa.db
    save_record(session, record, metadata=None, record_path=None) -> bool    replace one call's rows
    ingest_records(session, paths, manifest=None) -> IngestResult
    read API (callqa.store.queries): list_calls, get_call, disclosure_rows, agent_summary,
    flag_counts, filter_options, sales, decisions_by_target, add_decision; see that module's docstring.
"""

from callqa.store.db import Store, StoreError, default_url, open_store, safe_url
from callqa.store.queries import (
    AgentSummary,
    CallDetail,
    CallFilter,
    CallPage,
    CallRow,
    DecisionError,
    DisclosureRow,
    FilterOptions,
    QueryError,
    SaleRow,
    add_decision,
    agent_summary,
    decisions_by_target,
    disclosure_rows,
    filter_options,
    flag_counts,
    get_call,
    list_calls,
    sales,
)
from callqa.store.write import IngestResult, RecordError, flag_keys, ingest_records, save_record

__all__ = [
    "AgentSummary", "CallDetail", "CallFilter", "CallPage", "CallRow", "DecisionError", "DisclosureRow", "FilterOptions",
    "IngestResult", "QueryError", "SaleRow", "RecordError", "Store", "StoreError",
    "add_decision", "agent_summary", "decisions_by_target", "default_url", "disclosure_rows", "filter_options",
    "flag_counts", "flag_keys", "get_call", "ingest_records", "list_calls", "open_store", "safe_url", "sales", "save_record",
]
