"""Over-the-air model updates: a TUF repository publishes signed .ember models, a loopback HTTP
server hands them out, a device client checks and swaps them in (see README.md)."""
