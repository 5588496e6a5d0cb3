"""The platform-neutral core: vocabularies, domain models, the question-bank schema, availability,
the neutral message model, ports, services and the command routers. It imports no platform,
storage or scheduler library (import-linter contracts in ``pyproject.toml``)."""
