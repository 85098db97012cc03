"""Data access below the API. Repositories take a Session or Connection, may flush, never commit."""
