"""conformance: executable contracts for architectural decisions about a repository."""

__version__ = "0.1.0"
