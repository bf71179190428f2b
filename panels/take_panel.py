"""Sidebar sub-panel "Take": progress and Cancel while generating, the last run's outcome, and the
active take's engine, speed and QA figures (warning icons on poor ones), and the list of
takes to go back to."""
from __future__ import annotations

import bpy


def _active_take(obj):
    """(action, info) of the Parley take that plays on ``obj`` (active action or Parley track)."""
    from ..animation.takes import playing_take, take_info
    key = obj.data.shape_keys if obj is not None and obj.type == 'MESH' else None
    action = playing_take(key) if key is not None else None
    return (action, take_info(action)) if action is not None else (None, {})


class PARLEY_PT_take(bpy.types.Panel):
    bl_label = "Take"
    bl_idname = "PARLEY_PT_take"
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Parley"
    bl_parent_id = "PARLEY_PT_main"

    def draw(self, context):
        from ..animation.apply import qa_rows
        from ..operators.generate import LAST_RUN

        layout = self.layout
        col = layout.column()
        runtime = getattr(context.window_manager, "parley", None)
        if runtime is not None and runtime.running:
            row = col.row(align=True)
            row.progress(factor=runtime.progress, type='BAR', text=runtime.status or "Working...")
            row.operator("parley.cancel_generation", text="", icon='CANCEL')
            col.label(text="Esc or the button cancels; the scene stays unchanged", icon='INFO')
        if LAST_RUN.get("error"):
            box = col.box()
            for i, line in enumerate(_wrap(LAST_RUN["error"], 48)):
                box.label(text=line, icon='ERROR' if i == 0 else 'BLANK1')
            if LAST_RUN.get("offer_extend"):
                op = box.operator("parley.generate_lipsync", text="Extend Scene & Generate",
                                  icon='PREVIEW_RANGE')
                op.extend_scene = True
        elif LAST_RUN.get("message"):
            col.label(text=LAST_RUN["message"][:90], icon='CHECKMARK')
        for w in LAST_RUN.get("warnings", []):
            for i, line in enumerate(_wrap(w, 48)):
                col.label(text=line, icon='ERROR' if i == 0 else 'BLANK1')

        settings = getattr(context.scene, "parley", None)
        obj = (settings.target if settings is not None else None) or context.active_object
        action, info = _active_take(obj)
        if action is None:
            col.label(text="No Parley take on the head yet")
            return
        box = col.box()
        box.label(text=action.name, icon='ACTION')
        if info.get("emotion"):
            rng = info.get("intensity_range")
            level = (f"{rng[0]:.2f}-{rng[1]:.2f} (keyframed)" if rng
                     else f"{float(info.get('intensity', 1.0)):.2f}")
            box.label(text=f"Emotion: {info['emotion']} @ {level}")
        box.label(text=f"Engine: {info.get('engine', '?')}")
        phones = info.get("phones", "")
        if phones == "transcript":
            box.label(text="Phones: aligned to the transcript")
        elif phones:
            box.label(text="Phones: recognised from the audio", icon='INFO')
            box.label(text="A transcript seals more P/B/M", icon='BLANK1')
        if info.get("phones_reused_from"):
            box.label(text=f"Phone timings reused from '{info['phones_reused_from']}'")
        secs, rtf = info.get("seconds"), info.get("rtf")
        if secs is not None:
            box.label(text=f"Device: {info.get('device', 'CPU')}, {secs:.1f} s "
                           f"({rtf:.2f}x real time)" if rtf else f"{secs:.1f} s")
        qa = info.get("qa") or {}
        if "unavailable" in qa:
            box.label(text=f"QA: {qa['unavailable']}", icon='INFO')
        for label, text, poor in qa_rows(qa):
            box.label(text=f"{label}: {text}", icon='ERROR' if poor else 'CHECKMARK')
        _draw_take_list(col, obj.data.shape_keys, action)


#: most takes listed in the panel (newest first); older ones are in the Action editor
MAX_LISTED = 8


def _draw_take_list(layout, key, playing) -> None:
    """The head's takes, newest first: the one playing is marked, any other one is a button
    that plays it again (``parley.use_take``)."""
    from ..animation.takes import parley_takes
    all_takes = parley_takes(key)
    if len(all_takes) < 2:
        return
    box = layout.box()
    box.label(text=f"Takes on {key.name} ({len(all_takes)})", icon='NLA')
    for action in list(reversed(all_takes))[:MAX_LISTED]:
        name = action.name.removeprefix("Parley|")
        if action == playing:
            box.label(text=f"{name} (playing)", icon='PLAY')
        else:
            op = box.operator("parley.use_take", text=name, icon='LOOP_BACK')
            op.take = action.name
    if len(all_takes) > MAX_LISTED:
        box.label(text=f"{len(all_takes) - MAX_LISTED} older takes: see the Action editor",
                  icon='INFO')


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


CLASSES = (PARLEY_PT_take,)
