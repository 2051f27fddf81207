"""The seven durable components, one module each."""
