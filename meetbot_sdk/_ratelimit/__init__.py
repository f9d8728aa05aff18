"""The rate budget: the rate headers, the pure window, the throttle that waits for it, and
the budgets a fleet of processes shares (a file, Redis)."""
