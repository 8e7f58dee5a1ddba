"""Runtime parity checks: run converted models in real TF.js runtimes (see parity.py)."""
