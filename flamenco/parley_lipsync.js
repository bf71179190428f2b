// SPDX-License-Identifier: GPL-3.0-or-later
//
// Flamenco 3 custom job type "Parley Lip-Sync + Render".
//
// Task 1 (parley-generate) opens the submitted .blend headless, runs Parley's batch script
// (generate a lip-sync take on the head, optionally store a render engine) and saves the result
// as a new .blend next to the render output. Tasks 2..n render that saved file in frame chunks;
// each depends on task 1, so every chunk renders the same take.
//
// Install: copy this file into the "scripts" folder next to flamenco-manager and restart the
// Manager. Workers need the Parley extension installed in the Blender they run, and the path of
// scripts/parley_batch.py on the workers (setting "parley_script"). See flamenco/README.md.

const JOB_TYPE = {
    label: "Parley Lip-Sync + Render",
    description: "Generate Parley lip-sync on a head, then render the shot in chunks",
    settings: [
        // What to generate.
        { key: "parley_object", type: "string", required: true,
          eval: "(C.scene.parley.target or C.active_object).name",
          description: "Head mesh that receives the lip-sync (name in the .blend)" },
        { key: "parley_emotion", type: "string", required: true, default: "neutral",
          choices: ["neutral", "happy", "sad", "surprised", "fearful", "disgusted", "angry", "contempt"],
          eval: "C.scene.parley.emotion", description: "Emotion of the performance" },
        { key: "parley_intensity", type: "float", required: true, default: 1.0,
          propargs: { min: 0.0, max: 1.0 }, eval: "C.scene.parley.intensity",
          description: "Strength of the emotion, 0..1" },
        { key: "parley_strip", type: "string", required: false, default: "",
          eval: "C.scene.parley.strip_name if C.scene.parley.audio_source == 'STRIP' else ''",
          description: "Sound strip to use (empty: all audible sound strips)" },
        { key: "parley_transcript", type: "string", required: false, default: "",
          description: "What is said (optional; improves phone timing)" },
        { key: "parley_extend_scene", type: "bool", required: false, default: false,
          description: "Extend the scene's end frame when the speech is longer" },
        { key: "parley_script", type: "string", subtype: "file_path", required: true,
          visible: "submission",
          description: "Path of Parley's scripts/parley_batch.py as the workers see it" },
        { key: "render_engine", type: "string", required: true, default: "workbench",
          choices: ["keep", "workbench", "eevee", "cycles"], visible: "submission",
          description: "Engine stored in the generated file: workbench/eevee need a GPU or " +
                       "software OpenGL on the workers; cycles renders on the CPU anywhere" },

        // Frames and output, as in Flamenco's Simple Blender Render.
        { key: "frames", type: "string", required: true,
          eval: "f'{C.scene.frame_start}-{C.scene.frame_end}'",
          evalInfo: { showLinkButton: true, description: "Scene frame range" },
          description: "Frame range to render. Examples: '47', '1-30', '3, 5-10, 47-327'" },
        { key: "chunk_size", type: "int32", default: 10, visible: "submission",
          description: "Number of frames to render in one Blender render task" },
        { key: "render_output_root", type: "string", subtype: "dir_path", required: true,
          visible: "submission", description: "Base directory of the render output" },
        { key: "add_path_components", type: "int32", required: true, default: 0,
          propargs: { min: 0, max: 32 }, visible: "submission",
          description: "Number of path components of the blend file to add to the output path" },
        { key: "render_output_path", type: "string", subtype: "file_path", editable: false,
          eval: "str(Path(abspath(settings.render_output_root), last_n_dir_parts(settings.add_path_components), jobname, '{timestamp}', '######'))",
          description: "Final file path of where render output will be saved" },
        { key: "blendfile", type: "string", required: true, visible: "web",
          description: "Path of the Blend file to animate and render" },
        { key: "format", type: "string", required: true, visible: "web",
          eval: "C.scene.render.image_settings.file_format" },
    ],
};

const VIDEO_FORMATS = ["FFMPEG", "AVI_RAW", "AVI_JPEG"];

function compileJob(job) {
    const settings = job.settings;
    if (VIDEO_FORMATS.indexOf(settings.format) >= 0) {
        throw `This job type renders image sequences, not "${settings.format}"`;
    }
    if (!(settings.parley_intensity >= 0.0 && settings.parley_intensity <= 1.0)) {
        throw `parley_intensity must be within 0..1, got ${settings.parley_intensity}`;
    }
    const renderOutput = parleyRenderOutputPath(job);
    settings.render_output_path = renderOutput;
    const renderDir = path.dirname(renderOutput);
    const stem = path.stem(settings.blendfile).replace(".flamenco", "");
    const generatedBlend = path.join(renderDir, `${stem}-parley.blend`);

    const generate = authorGenerateTask(settings, generatedBlend);
    job.addTask(generate);
    for (const task of authorRenderTasks(settings, generatedBlend, renderDir, renderOutput)) {
        task.addDependency(generate);
        job.addTask(task);
    }
}

function parleyRenderOutputPath(job) {
    const p = job.settings.render_output_path;
    if (!p) {
        throw "no render_output_path setting";
    }
    return p.replace(/{([^}]+)}/g, (match, name) =>
        name === "timestamp" ? formatTimestampLocal(job.created) : match);
}

function parleyArgs(settings, generatedBlend) {
    const args = [
        "--object", settings.parley_object,
        "--emotion", settings.parley_emotion,
        "--intensity", `${settings.parley_intensity}`,
    ];
    if (settings.parley_strip) {
        args.push("--strip", settings.parley_strip);
    }
    if (settings.parley_transcript) {
        args.push("--transcript", settings.parley_transcript);
    }
    if (settings.parley_extend_scene) {
        args.push("--extend-scene");
    }
    if (settings.render_engine && settings.render_engine !== "keep") {
        args.push("--set-render-engine", settings.render_engine);
    }
    args.push("--save-as", generatedBlend);
    return args;
}

function authorGenerateTask(settings, generatedBlend) {
    const task = author.Task("parley-generate", "blender");
    task.addCommand(author.Command("blender-render", {
        exe: "{blender}",
        exeArgs: "{blenderArgs}",
        argsBefore: [],
        blendfile: settings.blendfile,
        args: ["--python-exit-code", "1", "--python", settings.parley_script, "--"]
            .concat(parleyArgs(settings, generatedBlend)),
    }));
    return task;
}

function authorRenderTasks(settings, blendfile, renderDir, renderOutput) {
    const tasks = [];
    for (const chunk of frameChunker(settings.frames, settings.chunk_size)) {
        const task = author.Task(`render-${chunk}`, "blender");
        task.addCommand(author.Command("blender-render", {
            exe: "{blender}",
            exeArgs: "{blenderArgs}",
            argsBefore: [],
            blendfile: blendfile,
            args: [
                "--render-output", path.join(renderDir, path.basename(renderOutput)),
                "--render-format", settings.format,
                "--render-frame", chunk.replaceAll("-", ".."),
            ],
        }));
        tasks.push(task);
    }
    return tasks;
}
