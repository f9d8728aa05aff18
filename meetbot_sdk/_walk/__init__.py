"""How a walk over the request logs works: the pure walk, the pagers, read-ahead, checkpoints."""
