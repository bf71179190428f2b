"""``parley.use_take``: play an earlier take again (the Take panel's list of takes).

Every Generate keeps the previous takes as actions; this puts one of them back with the same
placement policy as a new take (``animation.takes.use_take``): it becomes the active action when
a Parley take (or nothing) was active, or plays from the "Parley" NLA track under the artist's
own action, which is never replaced. One undo step.
"""
from __future__ import annotations

import bpy
from bpy.props import StringProperty

from ..animation import takes


class PARLEY_OT_use_take(bpy.types.Operator):
    """Play this earlier take again (the artist's own action stays as it is)"""
    bl_idname = "parley.use_take"
    bl_label = "Use Take"
    bl_options = {'REGISTER', 'UNDO'}

    take: StringProperty(name="Take", description="Name of the Parley take (action) to play")

    def execute(self, context):
        action = bpy.data.actions.get(self.take)
        if action is None or not takes.is_parley_take(action):
            self.report({'ERROR'}, f"no Parley take named '{self.take}'")
            return {'CANCELLED'}
        key = bpy.data.shape_keys.get(takes.take_info(action).get("key", ""))
        if key is None:
            self.report({'ERROR'}, f"the shape keys '{action.name}' was made for are gone "
                                   f"(deleted or renamed); the take is kept as an action")
            return {'CANCELLED'}
        if key.library is not None or getattr(key, "override_library", None) is not None:
            self.report({'ERROR'}, f"{key.name} is linked from a library; make it local first")
            return {'CANCELLED'}
        try:
            placement = takes.use_take(key, action)
        except ValueError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        where = ("as the active action" if placement == "active" else
                 "from the 'Parley' NLA track, under your own action")
        self.report({'INFO'}, f"playing '{action.name}' {where}")
        for area in getattr(context.screen, "areas", ()):
            area.tag_redraw()
        return {'FINISHED'}


CLASSES = (PARLEY_OT_use_take,)
