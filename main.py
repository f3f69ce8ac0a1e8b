"""Start the REST API on API_HOST:API_PORT (default 127.0.0.1:8000); docs at /docs.

API_WORKERS processes serve it (default: one per CPU core), each listening on a socket of its
own (api.listening). The schema is migrated here, once, before they start, so no two workers
migrate at once.
"""

import os

from api.listening import ServingConfig, serve
from core.config import get_settings
from core.db.migrate import upgrade_to_head
from core.logs import configure_logging

if __name__ == "__main__":
    configure_logging()
    settings = get_settings()
    if settings.migrate_on_start:
        upgrade_to_head(settings.database_url)
        os.environ["MIGRATE_ON_START"] = "false"  # the workers inherit it: migrated already
    settings.resolved_jwt_secret()  # generated and kept once, before the workers read it
    # access_log off: the request middleware logs each request once, without query strings.
    # proxy_headers off: the app believes X-Forwarded-* only from TRUSTED_PROXIES (api/proxies.py);
    # uvicorn's own handling would trust any local process's headers first.
    serve(
        ServingConfig(
            "api.main:serve_app",
            factory=True,
            host=settings.api_host,
            port=settings.api_port,
            workers=settings.resolved_api_workers,
            log_config=None,
            access_log=False,
            proxy_headers=False,
        )
    )
