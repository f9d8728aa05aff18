"""How bodies become models: the one cattrs converter, its compiled fast paths, the
speedups decoder, and the decoding of a response."""
