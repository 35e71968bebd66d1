"""Moved to `sleepscorer.hypnogram` (the bottom layer, so `io` need not import `core`)."""

from sleepscorer.hypnogram import *  # noqa: F403
from sleepscorer.hypnogram import __all__  # noqa: F401
