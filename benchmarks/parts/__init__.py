"""Pieces of the benchmarks that are not benchmarks themselves (``peerloop bench`` runs the
modules of ``benchmarks``, not these)."""
