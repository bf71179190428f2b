"""Add-on preferences: how Parley computes (device, threads) and where its model lives."""
from __future__ import annotations

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from . import addon_package


class ParleyPreferences(bpy.types.AddonPreferences):
    # Extensions must use the full module name (bl_ext.<repo>.parley), i.e. the root __package__.
    bl_idname = addon_package()

    compute_device: EnumProperty(
        name="Compute Device",
        description="Where the speech-to-motion model runs",
        items=(
            ('AUTO', "Automatic", "Use a GPU when one is usable, otherwise the CPU"),
            ('CPU', "CPU", "Always run on the CPU"),
            ('GPU', "GPU", "Run on the GPU; fails with an explanation if none is usable"),
        ),
        default='AUTO',
    )
    num_threads: IntProperty(
        name="Threads",
        description="CPU threads for inference (0 = leave one core free for Blender)",
        default=0, min=0, max=256,
    )
    recognition: EnumProperty(
        name="Phone Recognition",
        description="How phones are found when no transcript is given",
        items=(
            ('WORDS', "Accurate", "PocketSphinx word recognition with its full search"),
            ('WORDS_FAST', "Fast", "A narrower search, about 2.5x faster; misses a few more "
                                   "P/B/M (batch work)"),
        ),
        default='WORDS',
    )
    model_path: StringProperty(
        name="Model Override",
        description="Folder with a Parley model to use instead of the bundled one (empty = bundled)",
        subtype='DIR_PATH',
        default="",
    )

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.prop(self, "compute_device")
        layout.prop(self, "num_threads")
        layout.prop(self, "recognition")
        layout.prop(self, "model_path")


def get_preferences(context=None) -> ParleyPreferences:
    """This add-on's preferences (raises a clear error when the add-on is not enabled)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(addon_package())
    if addon is None:
        raise RuntimeError(f"the Parley add-on ({addon_package()}) is not enabled")
    return addon.preferences


def effective_threads(prefs) -> int:
    """Thread count to use: the preference, or all cores but one when it is 0."""
    import os
    if prefs.num_threads > 0:
        return int(prefs.num_threads)
    return max(1, (os.cpu_count() or 2) - 1)


CLASSES = (ParleyPreferences,)
