"""Models of the soft-delete benchmark (installed only by bench/softdelete_bench.py)."""
