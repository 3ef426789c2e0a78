"""Quiet, offline defaults for the libraries callqa drives. Call before importing prefect.

Only defaults: a value the user already exported wins.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_offline(work_dir: Path) -> None:
    defaults = {
        # Models come from installed packages; a hub lookup would hang or fail on customer sites.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TOKENIZERS_PARALLELISM": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_HOME": str(work_dir / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_LOG_PRINTS": "false",
        # Dask's scheduler and workers log every start and stop at INFO.
        "DASK_LOGGING__DISTRIBUTED": "warning",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    # Prefect creates its home without parents and fails on a fresh checkout otherwise.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
