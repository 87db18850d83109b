// Time regions on audio: a waveform drawn by wavesurfer.js from peaks the server
// computed (the file is never decoded in the browser, so an hour opens at once),
// regions with labels, speakers and a transcript each, playback keys, a
// spectrogram, and machine help (speech regions from webrtcvad, transcripts from
// the project's speech server) offered as suggestions.
//
// Peaks come per window: the first view asks for the whole file at the width of
// the page; zooming or scrolling asks for the visible window (and half a screen
// either side) at two peaks per pixel, and writes them into the waveform's array
// at that zoom, so no request ever covers more than what is shown. The
// spectrogram is likewise the visible window's, computed by the server.
//
// Keys: 1-9 label of the next region; R relabel the selected one; M marks a
// region's start then its end at the playhead; Space play/pause; P play the
// selected region; L loop it; [ ] slower / faster; ← → previous / next region;
// Shift+← → seek 5 s; Shift+1-9 speaker of the selected region; T its
// transcript; D find speech; A accept the suggestions; V spectrogram; + - 0 zoom;
// Delete removes the selected region; Esc steps back.
//
// A time_region control on a video hands over to the video tool's segments
// (videoSegments in ./video.js).
import { api } from "../api.js";
import { colourOf, h, labelChips, labelList, newId } from "../dom.js";
import { relabeller } from "./relabel.js";

const VENDOR = "/static/vendor/wavesurfer-8.0.1";
const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];
const VIDEO_EXT = /\.(mp4|m4v|mov|webm|mkv|avi|ogv)(\?|$)/i;
const MAX_POINTS = 400000;
const MAX_PIXELS = 2000000; // the widest zoomed waveform (peaks held in the page)
const SPECTRO_HEIGHT = 128;
// wavesurfer.js's timeline lays out a notch element for every interval of the
// whole file: past this many pixels (an hour at 5.5 px/s) it is dropped while
// zoomed, and the time readout and the spectrogram's window say where one is.
const TIMELINE_MAX_PX = 20000;

function loadCss() {
  if (document.querySelector("link[data-audio-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: "/static/css/audio.css", dataset: { audioCss: "1" } }));
}

// wavesurfer.js writes its layout rules as a <style> in its shadow root, which
// the pages' Content-Security-Policy (style-src 'self') does not apply; the same
// rules go in as a constructed stylesheet, which it does.
function adoptStyles(ws) {
  const root = ws.getWrapper().getRootNode();
  if (!(root instanceof ShadowRoot)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync([...root.querySelectorAll("style")].map((el) => el.textContent).join("\n"));
  root.adoptedStyleSheets = [sheet];
}

// One waveform channel from min/max peaks: the larger excursion of each run
// (what wavesurfer.js's own exportPeaks keeps), drawn mirrored.
const envelope = (p) => Float32Array.from(p.max, (v, i) => Math.max(v, -p.min[i]));

// ``src`` resampled to ``n`` values: the largest over each run when shrinking,
// the nearest when growing (an envelope keeps its peaks either way).
export function resample(src, n) {
  const out = new Float32Array(n);
  const k = src.length / n;
  for (let i = 0; i < n; i++) {
    const a = Math.floor(i * k);
    const b = Math.max(a + 1, Math.floor((i + 1) * k));
    let m = 0;
    for (let j = a; j < b && j < src.length; j++) if (src[j] > m) m = src[j];
    out[i] = m;
  }
  return out;
}

// Writes a window's peaks (``p.start``..``p.end`` seconds) into ``target``, an
// envelope of the whole ``duration`` at ``target.length`` points.
export function paintWindow(target, p, duration) {
  const n = target.length;
  const a = Math.max(0, Math.floor((p.start / duration) * n));
  const b = Math.min(n, Math.ceil((p.end / duration) * n));
  if (b <= a || !p.max.length) return;
  target.set(resample(envelope(p), b - a), a);
}

// A colour for each 0..255 spectrogram value (dark blue, purple, orange, pale yellow).
const RAMP = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];
const COLOURS = Array.from({ length: 256 }, (_, v) => {
  const x = (v / 255) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return RAMP[i].map((c, j) => Math.round(c + f * (RAMP[i + 1][j] - c)));
});

// mm:ss.s (h:mm:ss.s past an hour)
export function clock(t) {
  const s = Math.max(0, t);
  const two = (x) => String(Math.floor(x)).padStart(2, "0");
  const secs = (s % 60).toFixed(1).padStart(4, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${two((s / 60) % 60)}:${secs}` : `${two(s / 60)}:${secs}`;
}

const round3 = (x) => Math.round(x * 1000) / 1000;

// The item and media index behind a /media/items/{id}/{n} URL (none in the builder's preview).
function mediaKey(url) {
  const m = /\/media\/items\/(\d+)\/(\d+)/.exec(url || "");
  return m ? { item: m[1], index: m[2] } : null;
}

const isVideo = (control, data) => (control.source || "audio") === "video"
  || (typeof data[control.source || "audio"] === "string" && VIDEO_EXT.test(data[control.source || "audio"]));

export function time_region(control, data, ctx) {
  if (!isVideo(control, data)) return audioTool(control, data, ctx);
  // A video's segments belong to the video tool; until it has loaded, a
  // stand-in keeps any value set meanwhile.
  const holder = h("div", { class: "tool-loading muted" }, ctx.t("work.tool_loading"));
  let tool = null;
  let pending = null;
  import("./video.js").then((m) => (m.videoSegments ? m.videoSegments(control, data, ctx) : audioTool(control, data, ctx)))
    .catch(() => audioTool(control, data, ctx))
    .then((made) => {
      tool = made;
      if (pending !== null) tool.set(pending);
      holder.replaceWith(tool.el);
      tool.refresh?.();
    });
  return {
    el: holder,
    get: () => (tool ? tool.get() : pending),
    set(value) { if (tool) tool.set(value); else pending = value; },
    key: (e) => Boolean(tool?.key(e)),
    refresh() { tool?.refresh?.(); },
  };
}

function audioTool(control, data, ctx) {
  loadCss();
  const labels = labelList(control);
  const url = ctx.mediaUrl(control.source || "audio");
  const key = mediaKey(url);
  const apiBase = key ? `/items/${key.item}/audio/${key.index}` : null;
  let items = [];
  let selected = null;
  let active = labels[0]?.name;
  let mark = null; // the start of a region being marked with M
  // where the playhead is: wavesurfer tells every move ("timeupdate"), a seek
  // before the audio can play included, which its getCurrentTime() still
  // reports as 0 until the media has buffered (a seek and a mark made then
  // were lost)
  let playhead = 0;
  let loop = false;
  let speed = 2; // index into SPEEDS
  let duration = Number(data.duration) || 0;
  let suggestions = []; // speech regions offered, not yet taken
  let transcripts = {}; // region id -> suggested text
  let note = null;
  let loadedPoints = 0;
  let base = null; // the whole file's envelope at the page's width
  let shown = null; // the envelope at the current zoom (windows written in)
  let generation = 0; // bumped at each zoom: answers for an older zoom are dropped
  let filled = []; // [start, end] seconds written into ``shown`` at this zoom

  const palette = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") });
  const speakerBar = h("div", { class: "speaker-bar", role: "toolbar", "aria-label": ctx.t("work.audio_speakers") });
  const hint = h("p", { class: "spans-hint muted", role: "status" });
  const wave = h("div", { class: "audio-wave", tabindex: "0", role: "application", "aria-label": control.name });
  const spectroCanvas = h("canvas", { height: SPECTRO_HEIGHT, "aria-hidden": "true" });
  const spectroNote = h("span", { class: "audio-spectro-window muted" });
  const spectro = h("div", { class: "audio-spectrogram", hidden: true }, spectroCanvas,
    h("span", { class: "audio-spectro-axis muted" }, "8 kHz"), spectroNote);
  const timeLine = h("span", { class: "audio-time muted", dataset: { time: "" } }, "00:00.0");
  const speedLine = h("span", { class: "audio-speed muted" }, "1×");
  const helpLine = h("p", { class: "audio-help muted" });
  const list = h("ul", { class: "region-list audio-regions" });
  const suggestList = h("ul", { class: "region-list audio-suggestions" });
  const button = (label, onclick, title) => h("button", { type: "button", class: "small", title, onclick }, label);
  const playButton = button(`${ctx.t("work.audio_play")} (␣)`, () => playPause(), "Space");
  const loopButton = button(`${ctx.t("work.audio_loop")} (L)`, () => toggleLoop(), "L");
  const speechButton = button(`${ctx.t("work.audio_find_speech")} (D)`, () => findSpeech(), "D");
  const asrButton = button(ctx.t("work.audio_transcribe"), () => transcribe());
  const spectroButton = button(`${ctx.t("work.audio_spectrogram")} (V)`, () => toggleSpectrogram(), "V");
  const controls = h("div", { class: "audio-controls" }, playButton,
    button(`${ctx.t("work.audio_play_region")} (P)`, () => playRegion(), "P"), loopButton,
    button("−", () => setSpeed(speed - 1), "["), speedLine, button("+", () => setSpeed(speed + 1), "]"),
    button(`${ctx.t("work.zoom_in")} +`, () => zoom(2)), button(`${ctx.t("work.zoom_out")} −`, () => zoom(0.5)),
    button(`${ctx.t("work.fit")} 0`, () => zoom(0)), spectroButton, timeLine);
  const help = h("div", { class: "audio-machine" }, speechButton, asrButton);
  const el = h("div", { class: "audio-tool" }, palette, speakerBar, hint, controls, wave, spectro, help, suggestList, list, helpLine);
  helpLine.textContent = ctx.t("work.audio_keys");

  const relabel = relabeller(ctx, {
    target: () => items.find((x) => x.id === selected) || null,
    apply: (it, name) => { items = items.map((x) => (x.id === it.id ? { ...x, label: name } : x)); ctx.changed(); render(); },
    show: () => showState(),
  });
  const paletteButtons = labelChips(labels, pickLabel);
  palette.replaceChildren(...paletteButtons, relabel.button);

  // -- wavesurfer --------------------------------------------------------------
  let ws = null;
  let regions = null;
  let spectrogramOn = false;
  let timeline = null;
  let makeTimeline = null;
  let syncing = false;
  let zoomPx = 0; // 0: the whole file fits
  const ready = Promise.all([
    import(`${VENDOR}/wavesurfer.esm.js`), import(`${VENDOR}/plugins/regions.esm.js`), import(`${VENDOR}/plugins/timeline.esm.js`),
    apiBase ? api("GET", `${apiBase}/peaks?points=${pointsFor()}`).catch(() => null) : Promise.resolve(null),
  ]).then(([{ default: WaveSurfer }, { default: Regions }, { default: Timeline }, peaks]) => {
    regions = Regions.create();
    makeTimeline = () => Timeline.create({ height: 16 });
    timeline = makeTimeline();
    const options = {
      container: wave, url, height: 96, waveColor: "#7d93c9", progressColor: "#3b5ba9", cursorColor: "#d64541",
      normalize: true, interact: true, dragToSeek: false, autoScroll: true, autoCenter: true,
      plugins: [regions, timeline],
    };
    if (peaks) {
      duration = peaks.duration;
      loadedPoints = peaks.max.length;
      base = envelope(peaks);
      Object.assign(options, { peaks: [base], duration: peaks.duration });
      const media = document.createElement("audio");
      media.preload = "metadata";
      options.media = media;
    }
    ws = WaveSurfer.create(options);
    adoptStyles(ws);
    // when the waveform is first on screen (ms since the page's navigation began)
    ws.once("redrawcomplete", () => { wave.dataset.drawnMs = String(Math.round(performance.now())); });
    wave.dataset.peaks = String(loadedPoints);
    ws.on("timeupdate", (t) => { playhead = t; timeLine.textContent = `${clock(t)} / ${clock(duration)}`; wave.dataset.time = t.toFixed(2); });
    ws.on("ready", (d) => { if (!duration && d) duration = d; wave.dataset.ready = "1"; timeLine.textContent = `${clock(playhead)} / ${clock(duration)}`; });
    ws.on("play", () => { playButton.classList.add("active"); wave.dataset.playing = "1"; });
    ws.on("pause", () => { playButton.classList.remove("active"); wave.dataset.playing = "0"; });
    ws.on("scroll", () => viewChanged());
    if (peaks) queueMicrotask(() => { wave.dataset.ready = "1"; timeLine.textContent = `00:00.0 / ${clock(duration)}`; });
    regions.enableDragSelection({ color: "rgba(59, 111, 216, 0.15)" });
    regions.on("region-created", (r) => {
      if (syncing) return;
      r.remove();
      if (!active || r.end - r.start < 0.05) return;
      addItem(r.start, r.end);
    });
    regions.on("region-updated", (r) => {
      const it = items.find((x) => x.id === r.id);
      if (!it) return;
      items = items.map((x) => (x.id === r.id ? { ...x, start: round3(r.start), end: round3(Math.min(r.end, duration || r.end)) } : x));
      selected = r.id; ctx.changed(); render();
    });
    regions.on("region-clicked", (r, e) => { e.stopPropagation(); if (items.some((x) => x.id === r.id)) { selected = r.id; ctx.activate(); render(); } });
    regions.on("region-out", (r) => { if (loop && r.id === selected) r.play(); });
    render();
    return ws;
  }).catch((error) => { hint.textContent = `${ctx.t("work.tool_failed")}: ${error.message}`; });

  // Peaks to ask for the first view: two per pixel of the page's width.
  function pointsFor() {
    return Math.min(MAX_POINTS, Math.max(200, Math.ceil(2 * Math.max(600, wave.clientWidth || 900))));
  }

  // The seconds on screen now.
  function visible() {
    if (!zoomPx) return [0, duration];
    const start = ws.getScroll() / zoomPx;
    return [start, Math.min(duration, start + (wave.clientWidth || 900) / zoomPx)];
  }

  function zoom(factor) {
    if (!ws || !duration) return;
    const fit = (wave.clientWidth || 900) / duration;
    if (!base) { // no server peaks (the builder's preview): wavesurfer.js decoded the file
      zoomPx = factor === 0 ? 0 : Math.min(4000, Math.max(fit, (zoomPx || fit) * factor));
      ws.zoom(zoomPx);
      return;
    }
    const most = Math.max(fit, Math.min(4000, MAX_PIXELS / duration));
    const next = factor === 0 ? 0 : Math.min(most, Math.max(fit, (zoomPx || fit) * factor));
    if (next === zoomPx) return;
    const centre = playhead;
    zoomPx = next <= fit ? 0 : next;
    generation += 1;
    filled = [];
    // what is known so far, at the new zoom's one point per pixel
    shown = zoomPx ? resample(shown || base, Math.ceil(duration * zoomPx)) : null;
    const wide = duration * zoomPx > TIMELINE_MAX_PX;
    if (wide && timeline) { timeline.destroy(); timeline = null; }
    ws.setOptions({ peaks: [shown || base], duration, minPxPerSec: zoomPx });
    if (!wide && !timeline) timeline = ws.registerPlugin(makeTimeline());
    if (zoomPx) ws.setScroll(Math.max(0, centre * zoomPx - (wave.clientWidth || 900) / 2));
    wave.dataset.zoom = String(Math.round(zoomPx));
    viewChanged();
  }

  // After a zoom or a scroll settles: the visible window's peaks at this zoom
  // (half a screen either side), and the spectrogram of what is on screen.
  let settle = null;
  function viewChanged() {
    clearTimeout(settle);
    settle = setTimeout(() => { fetchWindow(); if (spectrogramOn) drawSpectrogram(); }, 120);
  }

  async function fetchWindow() {
    if (!apiBase || !zoomPx || !shown) return;
    const [a, b] = visible();
    const span = b - a;
    const start = Math.max(0, a - span / 2), end = Math.min(duration, b + span / 2);
    if (filled.some(([p, q]) => p <= a && b <= q)) return;
    const gen = generation;
    const began = performance.now();
    const points = Math.min(MAX_POINTS, Math.ceil(2 * (end - start) * zoomPx));
    let p;
    try {
      p = await api("GET", `${apiBase}/peaks?points=${points}&start=${start.toFixed(3)}&end=${end.toFixed(3)}`);
    } catch { return; }
    if (gen !== generation) return;
    paintWindow(shown, p, duration);
    filled.push([p.start, p.end]);
    ws.setOptions({ peaks: [shown], duration });
    Object.assign(wave.dataset, { window: `${p.start.toFixed(3)}-${p.end.toFixed(3)}`, windowPeaks: String(p.max.length),
      windowMs: String(Math.round(performance.now() - began)) });
  }

  // -- state -------------------------------------------------------------------
  const speakers = () => [...new Set(items.map((x) => x.speaker).filter(Boolean))].sort();
  const describe = (it) => `${clock(it.start)}–${clock(it.end)}`;

  function addItem(start, end) {
    const a = round3(Math.max(0, Math.min(start, end))), b = round3(Math.min(duration || Infinity, Math.max(start, end)));
    if (b - a < 0.01) return null;
    const it = { id: newId("t"), label: active, start: a, end: b };
    items = [...items, it].sort((p, q) => p.start - q.start);
    selected = it.id; ctx.changed(); render();
    return it;
  }

  function update(id, patch) {
    items = items.map((x) => {
      if (x.id !== id) return x;
      const next = { ...x, ...patch };
      for (const k of ["speaker", "text"]) if (next[k] === undefined || next[k] === null || (k === "speaker" && next[k] === "")) delete next[k];
      return next;
    });
    ctx.changed(); render();
  }

  function remove(id) { items = items.filter((x) => x.id !== id); if (selected === id) selected = null; ctx.changed(); render(); }

  function pickLabel(name) {
    if (relabel.take(name)) return;
    active = name; render();
  }

  function setSpeaker(n) {
    const it = items.find((x) => x.id === selected);
    if (!it) return;
    const known = speakers();
    const name = known[n - 1] || `${ctx.t("work.audio_speaker")} ${known.length + 1}`;
    update(it.id, { speaker: name });
  }

  let shownSelected = null;
  function showState() {
    if (selected !== shownSelected) { relabel.drop(); shownSelected = selected; }
    const it = relabel.sync();
    palette.classList.toggle("waiting", Boolean(it));
    if (note) { hint.textContent = note; note = null; }
    else if (it) hint.textContent = `${ctx.t("work.spans_relabelling")} ${it.label} (${describe(it)})`;
    else if (mark !== null) hint.textContent = `${ctx.t("work.audio_marking")} ${clock(mark)} · M`;
    else if (active) hint.replaceChildren(`${ctx.t("work.regions_active")} `, h("strong", {}, active), ` · ${ctx.t("work.audio_draw")}`);
    else hint.textContent = "";
  }

  function render() {
    for (const b of paletteButtons) {
      const on = b.dataset.label === active;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", String(on));
    }
    const known = speakers();
    speakerBar.replaceChildren(h("span", { class: "muted" }, `${ctx.t("work.audio_speakers")}: `),
      ...known.map((name, i) => h("button", { type: "button", class: "chip", dataset: { speaker: name }, onclick: () => setSpeaker(i + 1) },
        h("kbd", {}, i < 9 ? `⇧${i + 1}` : ""), " ", name)),
      h("button", { type: "button", class: "small", onclick: () => setSpeaker(known.length + 1), disabled: !selected },
        `+ ${ctx.t("work.audio_speaker")} (⇧${Math.min(9, known.length + 1)})`));
    if (regions) {
      syncing = true;
      regions.clearRegions();
      for (const it of items) {
        const c = colourOf(labels, it.label);
        const sel = it.id === selected;
        const r = regions.addRegion({
          id: it.id, start: it.start, end: it.end, drag: true, resize: true,
          color: `${c}${sel ? "55" : "2a"}`, content: it.speaker ? `${it.label} · ${it.speaker}` : it.label,
        });
        r.element?.classList.add("audio-region");
        if (sel) r.element?.classList.add("selected");
        r.element?.setAttribute("data-region", it.id);
      }
      for (const sg of suggestions) {
        const r = regions.addRegion({ id: `s-${sg.start}`, start: sg.start, end: sg.end, drag: false, resize: false, color: "rgba(120,120,120,0.12)" });
        r.element?.classList.add("audio-suggestion");
      }
      syncing = false;
    }
    list.replaceChildren(...items.map((it) => regionRow(it)));
    suggestList.replaceChildren(...(suggestions.length ? [h("li", { class: "hint" },
      `${suggestions.length} ${ctx.t("work.audio_suggested")} · `,
      h("button", { type: "button", class: "small", dataset: { action: "accept-speech" }, onclick: () => acceptSuggestions() }, `${ctx.t("work.audio_accept")} (A)`),
      h("button", { type: "button", class: "small", onclick: () => { suggestions = []; render(); } }, ctx.t("work.audio_dismiss")))] : []));
    loopButton.classList.toggle("active", loop);
    speedLine.textContent = `${SPEEDS[speed]}×`;
    showState();
  }

  function regionRow(it) {
    const sel = it.id === selected;
    const text = h("input", { type: "text", class: "audio-text", value: it.text ?? "", placeholder: ctx.t("work.audio_transcript"),
      "aria-label": `${ctx.t("work.audio_transcript")} ${describe(it)}`, dataset: { text: it.id } });
    text.addEventListener("focus", () => { selected = it.id; ctx.activate(); markSelected(); });
    // typing goes into the region at once (a submit never loses it); the
    // change (leaving the box) is one step of the undo history
    text.addEventListener("input", () => { items = items.map((x) => (x.id === it.id ? { ...x, text: text.value } : x)); });
    text.addEventListener("change", () => ctx.changed());
    text.addEventListener("keydown", (e) => {
      if (e.key === "Escape" || (e.key === "Enter" && !e.ctrlKey && !e.metaKey)) {
        e.preventDefault(); e.stopPropagation();
        text.blur();
        wave.focus();
      }
    });
    const speaker = h("input", { type: "text", class: "audio-speaker", value: it.speaker ?? "", placeholder: ctx.t("work.audio_speaker"),
      "aria-label": `${ctx.t("work.audio_speaker")} ${describe(it)}`, list: `speakers-${control.name}`, size: 10 });
    speaker.addEventListener("change", () => update(it.id, { speaker: speaker.value.trim() }));
    const suggested = transcripts[it.id];
    const li = h("li", { class: sel ? "selected" : "", dataset: { region: it.id } },
      h("button", { type: "button", class: "chip", onclick: () => { selected = it.id; render(); } }, it.label),
      h("span", { class: "muted audio-span" }, describe(it)), speaker, text,
      suggested !== undefined ? h("button", { type: "button", class: "small suggestion", title: suggested, dataset: { use: it.id },
        onclick: () => { delete transcripts[it.id]; update(it.id, { text: suggested }); } }, `${ctx.t("work.audio_use")}: “${suggested}”`) : null,
      h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${it.label}`, onclick: () => remove(it.id) }, "×"));
    li.querySelector(".chip").style.borderColor = colourOf(labels, it.label);
    return li;
  }

  function markSelected() {
    for (const li of list.children) li.classList.toggle("selected", li.dataset.region === selected);
  }

  // -- playback ----------------------------------------------------------------
  const regionOf = (id) => regions?.getRegions().find((r) => r.id === id);
  function playPause() { ws?.playPause(); }
  function playRegion() {
    const r = regionOf(selected);
    if (r) r.play(); else ws?.play();
  }
  function toggleLoop() { loop = !loop; render(); }
  function setSpeed(i) {
    speed = Math.max(0, Math.min(SPEEDS.length - 1, i));
    ws?.setPlaybackRate(SPEEDS[speed], true);
    wave.dataset.speed = String(SPEEDS[speed]);
    render();
  }
  function seek(dt) { if (ws && duration) ws.setTime(Math.max(0, Math.min(duration, playhead + dt))); }

  function markAtPlayhead() {
    const t = ws ? playhead : 0;
    if (mark === null) { mark = t; showState(); return; }
    const start = mark;
    mark = null;
    if (!addItem(start, t)) showState();
  }

  // -- machine help --------------------------------------------------------------
  async function findSpeech() {
    if (!apiBase) return;
    speechButton.disabled = true;
    try {
      const found = await api("GET", `${apiBase}/speech`);
      suggestions = found.data.filter((sg) => !items.some((x) => x.start < sg.end && sg.start < x.end));
      note = `${found.data.length} ${ctx.t("work.audio_suggested")} (${found.detector})`;
    } catch (error) { note = `${ctx.t("work.audio_failed")}: ${error.message}`; }
    speechButton.disabled = false;
    render();
  }

  function acceptSuggestions() {
    if (!suggestions.length || !active) return false;
    const made = suggestions.map((sg) => ({ id: newId("t"), label: active, start: sg.start, end: Math.min(sg.end, duration || sg.end) }));
    suggestions = [];
    items = [...items, ...made].sort((p, q) => p.start - q.start);
    ctx.changed(); render();
    return true;
  }

  // Transcripts for the selected region, else every region without text.
  async function transcribe() {
    if (!apiBase) return;
    const chosen = items.filter((x) => (selected ? x.id === selected : !x.text));
    if (!chosen.length) return;
    asrButton.disabled = true;
    try {
      const found = await api("POST", `${apiBase}/transcribe`, { segments: chosen.map((x) => ({ start: x.start, end: x.end })) });
      chosen.forEach((x, i) => { transcripts[x.id] = found.data[i]; });
      note = `${ctx.t("work.audio_transcribed")} ${found.model}`;
    } catch (error) { note = `${ctx.t("work.audio_failed")}: ${error.message}`; }
    asrButton.disabled = false;
    render();
  }

  // -- spectrogram ---------------------------------------------------------------
  // The visible window's spectra (two pixels a column), computed on the server,
  // drawn 0 Hz at the bottom to 8 kHz at the top.
  function toggleSpectrogram() {
    if (!ws) return;
    spectrogramOn = !spectrogramOn;
    spectro.hidden = !spectrogramOn;
    spectroButton.classList.toggle("active", spectrogramOn);
    if (spectrogramOn) drawSpectrogram();
  }

  let spectroGen = 0;
  async function drawSpectrogram() {
    if (!apiBase || !duration) return;
    const gen = ++spectroGen;
    const began = performance.now();
    const [a, b] = visible();
    const width = Math.max(200, wave.clientWidth || 900);
    const columns = Math.min(8000, Math.ceil(width / 2));
    let frames;
    try {
      frames = await api("GET", `${apiBase}/spectrogram?columns=${columns}&start=${a.toFixed(3)}&end=${b.toFixed(3)}`);
    } catch (error) { note = `${ctx.t("work.audio_failed")}: ${error.message}`; showState(); return; }
    if (gen !== spectroGen || !spectrogramOn) return;
    spectroCanvas.width = width;
    const g = spectroCanvas.getContext("2d");
    const image = g.createImageData(width, SPECTRO_HEIGHT);
    const bins = frames[0]?.length || 1;
    for (let x = 0; x < width; x++) {
      const column = frames[Math.min(frames.length - 1, Math.floor((x / width) * frames.length))] || [];
      for (let y = 0; y < SPECTRO_HEIGHT; y++) {
        const v = column[Math.floor(((SPECTRO_HEIGHT - 1 - y) / SPECTRO_HEIGHT) * bins)] || 0;
        const [r, gg, bb] = COLOURS[v];
        const o = (y * width + x) * 4;
        image.data[o] = r; image.data[o + 1] = gg; image.data[o + 2] = bb; image.data[o + 3] = 255;
      }
    }
    g.putImageData(image, 0, 0);
    spectroNote.textContent = `${clock(a)}–${clock(b)}`;
    Object.assign(spectro.dataset, { window: `${a.toFixed(3)}-${b.toFixed(3)}`, columns: String(frames.length),
      drawnMs: String(Math.round(performance.now() - began)) });
  }

  wave.addEventListener("pointerdown", () => { ctx.activate(); wave.focus(); });

  function cancel() {
    if (relabel.cancel()) return true;
    if (mark !== null) { mark = null; showState(); return true; }
    if (suggestions.length) { suggestions = []; render(); return true; }
    if (selected) { selected = null; render(); return true; }
    return false;
  }

  render();
  return {
    el, ready,
    get: () => (items.length ? items.map(({ id, label, start, end, speaker, text }) => {
      const out = { id, label, start, end };
      if (speaker) out.speaker = speaker;
      if (text !== undefined && text !== null) out.text = text;
      return out;
    }) : null),
    set(value) {
      items = (value || []).map((x) => ({ ...x, id: String(x.id ?? newId("t")) }));
      if (!items.some((x) => x.id === selected)) selected = null;
      render();
    },
    focus() { wave.focus(); },
    key(e) {
      const n = Number(e.key);
      if (e.shiftKey && /^Digit[1-9]$/.test(e.code)) { setSpeaker(Number(e.code.slice(5))); return true; }
      if (n >= 1 && n <= Math.min(9, labels.length)) { pickLabel(labels[n - 1].name); return true; }
      if (relabel.key(e)) return true;
      const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      if (k === " ") { playPause(); return true; }
      if (k === "p") { playRegion(); return true; }
      if (k === "l") { toggleLoop(); return true; }
      if (k === "[") { setSpeed(speed - 1); return true; }
      if (k === "]") { setSpeed(speed + 1); return true; }
      if (k === "m") { markAtPlayhead(); return true; }
      if (k === "d") { findSpeech(); return true; }
      if (k === "a") return acceptSuggestions();
      if (k === "v") { toggleSpectrogram(); return true; }
      if (k === "+" || k === "=") { zoom(2); return true; }
      if (k === "-") { zoom(0.5); return true; }
      if (k === "0") { zoom(0); return true; }
      if (k === "t" && selected) { list.querySelector(`[data-text="${CSS.escape(selected)}"]`)?.focus(); return true; }
      if (k === "Escape") return cancel();
      if ((k === "Delete" || k === "Backspace") && selected) { remove(selected); return true; }
      if ((k === "ArrowRight" || k === "ArrowLeft") && e.shiftKey) { seek(k === "ArrowRight" ? 5 : -5); return true; }
      if ((k === "ArrowRight" || k === "ArrowLeft") && items.length) {
        const at = items.findIndex((x) => x.id === selected);
        const step = k === "ArrowRight" ? 1 : -1;
        selected = items[((at < 0 ? (step > 0 ? -1 : 0) : at) + step + items.length) % items.length].id;
        const it = items.find((x) => x.id === selected);
        if (ws && it) ws.setTime(it.start);
        render(); return true;
      }
      return false;
    },
  };
}
