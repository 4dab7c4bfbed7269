"""Benchmarks of the service; run `python bench/update_path.py`."""
