"""Files in, files out: readers that turn recordings into `Recording`, and label files.

No Qt here. `load_recording(path)` is the one entry point for recordings.
"""
