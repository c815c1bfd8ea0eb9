"""Use cases. Views, the API and CLI commands call these; only these commit (write_transaction)."""
