"""Which Prefect task runner scores a batch: this machine's worker pool, or a Dask cluster.

On one machine, Prefect's thread pool runs `workers` calls at once and each hands its
transcription and analysis to a worker process (callqa.parallel); Prefect's own state stays
in this process, with its ephemeral API. On Dask (prefect-dask's DaskTaskRunner) each call
runs whole on a Dask worker process, which reports its task runs to the Prefect API itself,
so that API must be a real server every worker reaches (`prefect server start`,
PREFECT_API_URL): an ephemeral one would be started anew inside each worker.
"""

from __future__ import annotations

from dataclasses import replace

import httpx

from prefect.settings import get_current_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from callqa.settings import AUTO, Settings


class ClusterError(RuntimeError):
    """The Dask mode cannot start: no Prefect server to talk to, or none reachable."""


def uses_dask(settings: Settings) -> bool:
    return bool(settings.cluster or settings.local_cluster)


def for_workers(settings: Settings) -> Settings:
    """A LocalCluster of N workers on this machine is N workers: threads per worker follow."""
    if settings.local_cluster and settings.workers == AUTO:
        return replace(settings, workers=settings.local_cluster)
    return settings


def require_prefect_server() -> str:
    """The Prefect API URL, after checking a server answers there."""
    url = get_current_settings().api.url
    if not url:
        raise ClusterError(
            "running on Dask needs a Prefect server that every worker can reach: start one with "
            "`prefect server start --host 0.0.0.0` and export PREFECT_API_URL=http://<host>:4200/api "
            "here and on every worker"
        )
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        raise ClusterError(f"no Prefect server answers at PREFECT_API_URL={url}: {exc}") from exc
    return url


def task_runner(settings: Settings) -> TaskRunner:
    if settings.cluster:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.cluster)
    if settings.local_cluster:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            # One call at a time per worker process; its threads are Settings.parallelism's.
            cluster_kwargs={
                "n_workers": settings.local_cluster,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            },
        )
    workers, _threads = settings.parallelism()
    # Threads only wait on the worker processes: one per worker keeps each busy without
    # holding the next calls' results in memory.
    return ThreadPoolTaskRunner(max_workers=workers)
