"""Analysis of rung results: intervals, paired tests and the evidence behind a verdict."""
