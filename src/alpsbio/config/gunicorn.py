"""gunicorn settings for the web processes: ``gunicorn -c python:alpsbio.config.gunicorn
alpsbio.config.wsgi -w N -b ADDRESS`` (docs/deployment.md).

The application and the matching index's snapshot are loaded once in the master process, before
the workers are forked, so the workers share the index's arrays and the models' weights
copy-on-write (bench/web_memory.py measures it) instead of each loading its own copy.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

preload_app = True


def when_ready(server: Any) -> None:
    """In the master, after the application is loaded and before the workers are forked."""
    from alpsbio.matching.index import preload_for_workers

    try:
        loaded = preload_for_workers()
    except Exception:  # the workers load or build the index themselves, as without preloading
        logging.getLogger("alpsbio.matching").exception("preloading the matching index failed")
        return
    server.log.info(
        "matching index %s",
        "preloaded from the snapshot" if loaded else "not preloaded (no usable snapshot)",
    )
    # The workers' garbage collector would otherwise write into every object inherited from
    # here, copying the pages that hold them (the Python docs' advice for fork without exec).
    gc.freeze()
