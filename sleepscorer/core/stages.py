"""Moved to `sleepscorer.stages` (the bottom layer, so `io` need not import `core`)."""

from sleepscorer.stages import *  # noqa: F403
from sleepscorer.stages import __all__  # noqa: F401
