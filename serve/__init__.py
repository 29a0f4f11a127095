"""sleuth for other programs: the MCP server (serve/mcp_server.py)."""
