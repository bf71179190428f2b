"""Parley's UI panels (3D Viewport sidebar, tab "Parley"): the main panel, then its "Take" sub-panel."""
from . import main_panel, take_panel

CLASSES = (*main_panel.CLASSES, *take_panel.CLASSES)  # parents before children
