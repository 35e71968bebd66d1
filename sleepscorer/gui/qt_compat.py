"""Work around a reference-count bug of PySide6 6.12.0 on Python 3.11.

On that pair every `Signal.emit()` drops a reference to `True` and every call of a void Qt
method (e.g. `QTimer.start`) drops one to `None`. Python 3.12+ makes these singletons
immortal, so nothing happens there; on 3.11 the app aborts after a few hundred calls with
"Fatal Python error: bool_dealloc" (or none_dealloc). The singletons are static objects
that are never freed, so giving them a huge reference count, as Python 3.12 does, is safe.
Remove this module once PySide6 is fixed or Python 3.11 support ends.
"""

from __future__ import annotations

import ctypes
import sys

_MARGIN = 1 << 40


def _affected() -> bool:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    try:
        import PySide6
    except ImportError:
        return False
    return PySide6.__version__.startswith("6.12.")


def protect_singletons() -> bool:
    """Make None, True and False effectively immortal when the bug can bite; True if done."""
    if not _affected():
        return False
    for obj in (None, True, False):
        if sys.getrefcount(obj) < _MARGIN:
            ctypes.c_ssize_t.from_address(id(obj)).value += _MARGIN
    return True
