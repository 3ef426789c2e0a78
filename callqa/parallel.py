"""Calls in parallel on one machine: worker processes that each load their models once.

Whisper decodes one call sequentially (tiny.en runs as fast on one thread as on two) and calls
are independent, so a machine is used fully by several calls at once, each in its own process
with few threads: workers x threads = cores (Settings.parallelism). Processes rather than
threads, because the Python parts of a call (VAD glue, the analysis) hold the GIL, and
CTranslate2, torch and onnxruntime size their thread pools per process. A worker keeps Whisper,
spaCy and the embedding model in its process-wide caches (callqa.speech.asr.load_backend,
nlp.parse.load_pipeline, ...), so each is loaded once per worker, not once per call.

The standard library's ProcessPoolExecutor is all this needs. On a Dask cluster the Dask
workers are these processes (flows/runners.py) and no pool is used.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TypeVar

from callqa.settings import Settings

T = TypeVar("T")
# Read by OpenMP, MKL and OpenBLAS when their pools start, so set before the first model loads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

_pools: dict[tuple[int, int, Path], ProcessPoolExecutor] = {}
_lock = threading.Lock()


def configure_threads(threads: int) -> None:
    """Size the thread pools of this process: torch (embeddings, openai-whisper) and OpenMP.
    CTranslate2 gets the same number as `cpu_threads` when the model loads (callqa.speech.asr)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_memory() -> None:
    """Hand freed heap pages back to the system (glibc's malloc_trim; nothing elsewhere).

    A call allocates and frees large numpy buffers (audio blocks, spectrograms); glibc keeps
    the freed pages in its arenas, fragmented, so a worker's RSS would creep up call after call
    and block after block. Trimming after each block keeps it flat, for a few milliseconds."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _start_worker(threads: int, work_dir: str) -> None:
    from callqa.env import configure_offline

    configure_offline(Path(work_dir))
    configure_threads(threads)


def worker_pool(settings: Settings) -> ProcessPoolExecutor | None:
    """This process's pool for these settings, started on first use; None for one worker,
    which runs in the flow's own process (no pickling, no second copy of the models)."""
    workers, threads = settings.parallelism()
    if workers == 1:
        return None
    key = (workers, threads, settings.work_dir)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            # spawn, not fork: the flow's process runs Prefect's threads and event loop, and a
            # forked copy of those can deadlock.
            pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(threads, str(settings.work_dir)),
            )
            _pools[key] = pool
    return pool


def run_in_worker(settings: Settings, use_pool: bool, fn: Callable[..., T], *args: object) -> T:
    """fn(*args) in a worker process of the pool, or here when there is no pool to use.
    Exceptions come back as they were raised in the worker."""
    pool = worker_pool(settings) if use_pool else None
    if pool is None:
        return fn(*args)
    try:
        return pool.submit(fn, *args).result()
    except BrokenProcessPool:
        # A worker died (killed, out of memory): this call fails (and its task retries), the
        # calls after it get a fresh pool rather than the broken one.
        with _lock:
            for key, known in list(_pools.items()):
                if known is pool:
                    del _pools[key]
        raise


def shutdown_pools() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pools)
