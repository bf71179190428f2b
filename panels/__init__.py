"""Parley's UI panels (3D Viewport sidebar, tab "Parley")."""
from . import main_panel

CLASSES = (*main_panel.CLASSES,)
