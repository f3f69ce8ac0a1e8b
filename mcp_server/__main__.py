"""`python -m mcp_server`: the MCP server over stdio (default) or streamable HTTP."""

import sys

from mcp_server.cli import main

sys.exit(main())
