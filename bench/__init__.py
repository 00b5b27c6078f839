"""`make bench`: bench/run.py and the modules it uses."""
