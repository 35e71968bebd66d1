"""The desktop app (PySide6 + pyqtgraph): a thin shell over the core and the model,
reached only through gui/backend.py."""
