"""What the Docker test found, printed at the end of the session (make test-docker's summary)."""

LINES: list[str] = []
