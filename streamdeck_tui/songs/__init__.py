"""Song requests: input parsing and policy."""
