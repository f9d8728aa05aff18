"""Small leaves every capability may use: the clock, logging, optional extras."""
