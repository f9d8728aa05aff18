"""What notebooks get: compact reprs, HTML tables, DataFrames, charts, progress bars."""
