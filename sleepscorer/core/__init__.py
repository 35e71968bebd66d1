"""The scoring state, stages, statistics and simulation: everything the app does minus windows.

No Qt here.
"""
