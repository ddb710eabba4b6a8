"""Gateway adapters: the only code that knows each gateway's JSON, paths, headers and result codes."""
