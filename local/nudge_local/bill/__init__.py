"""The local bill: what every AWS request, invocation and API request would cost (counters, capacity units,
prices)."""
