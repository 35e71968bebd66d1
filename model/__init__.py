"""The networks (sDREAMER, MC2SleepNet, trees baseline), inference and training.

Must not import Qt or sleepscorer.gui.
"""
