"""PeerLoop's benchmarks: programs that time the product and print figures (``--json`` for machines).

They sit above the application: each builds the real object graph (:func:`bot.app.build_app`)
or calls a product package directly, and no product module imports them. ``peerloop bench NAME``
imports ``benchmarks.NAME`` only when asked for (``python -m benchmarks.NAME`` runs the same):

- ``matching``: the pure matching engine at 1,000 and 5,000 requests;
- ``round``: one matching round against the database;
- ``scheduler``: rebuilding timers for stored steps, and the due-to-run delay;
- ``digest``: every weekly digest of a large community;
- ``loop``: the event loop's lag while rounds, digests and pictures run;
- ``charts``: drawing the progress, digest and funnel pictures.

``support`` holds what the database-backed ones share (bulk inserts, statement counting).
"""
