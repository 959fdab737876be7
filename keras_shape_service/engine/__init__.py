"""The transport-free answers (engine.py) and where they run: in this process (local.py)."""
