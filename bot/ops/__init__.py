"""Running PeerLoop as a service: secrets at rest, health and metrics, backups
(docs/operations.md). The command line is in :mod:`bot.ops.cli`."""
