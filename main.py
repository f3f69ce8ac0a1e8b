"""Start the REST API on API_HOST:API_PORT (default 127.0.0.1:8000); docs at /docs."""

import uvicorn

from core.config import get_settings
from core.logs import configure_logging

if __name__ == "__main__":
    configure_logging()
    settings = get_settings()
    # access_log off: the request middleware logs each request once, without query strings.
    # proxy_headers off: the app believes X-Forwarded-* only from TRUSTED_PROXIES (api/proxies.py);
    # uvicorn's own handling would trust any local process's headers first.
    uvicorn.run(
        "api.main:app",
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
