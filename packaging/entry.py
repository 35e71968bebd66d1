"""Entry script of the frozen app: `SleepScorer` opens the app, `SleepScorer selftest` etc.

A separate file (not `sleepscorer/__main__.py`) because PyInstaller puts the entry script's
folder on its search path, and `sleepscorer/io` would then shadow the standard `io`.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch DataLoader workers re-enter the executable
    from sleepscorer.cli import main

    sys.exit(main())
