"""The emulated AWS: moto, the botocore hooks placed before it, the crash drills' fault switch, and the
speed-ups of moto's internals (installed when a local runtime opens; `speedups.py`)."""
