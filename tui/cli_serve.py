"""`sleuth mcp`: serve the collection to another agent (Claude Desktop, Cursor, an IDE agent) over MCP's stdio."""

from __future__ import annotations

from sleuth.tui.shell import Collection, app


@app.command()
def mcp(collection: Collection = None) -> None:
    """Serve search, ask, report, read and collections as MCP tools over stdin/stdout (for an MCP client's
    config: command "sleuth", args ["mcp"]). The models load once, on the first call that needs them."""
    from sleuth.serve.mcp_server import serve
    from sleuth.settings import load_settings

    settings = load_settings()
    if collection:
        settings.index.collection = collection
    serve(settings)
