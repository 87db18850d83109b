// Video: a frame-accurate player (the server decodes frame N as JPEG), tracks of
// boxes with keyframes (`video_track`) and temporal segments over a video
// (`videoSegments`, for a time_region control whose source is a video; the
// audio tool hands those over).
//
// Keys: , and . step a frame (with Shift, 10), Space plays, Home/End. Number
// keys pick the label of what is drawn next. Tracks: drag on the frame to start
// one; drag a box or its corner to set a keyframe here; O outside from here,
// C occluded, K keyframe, N/P next/previous keyframe, Up/Down another track,
// T follows the box with a tracker (suggestions), A accepts them, Delete drops
// this keyframe (Shift+Delete the track). Segments: [ start, ] end.
import { api } from "../api.js";
import { colourOf, h, labelChips, labelList, s } from "../dom.js";
import { boxAt, interpolate, timecode, withKeyframe } from "./video_tracks.js";

const PROPAGATE_FRAMES = 24;
// Frames asked for ahead of the one shown while stepping, and frames kept.
const PREFETCH_AHEAD = 6;
const CACHED_FRAMES = 120;

function stylesheet() {
  if (document.querySelector("link[data-video-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: "/static/css/video.css", dataset: { videoCss: "1" } }));
}

// The item and media index behind a media URL (/media/items/{id}/{n}); null in
// the project builder's preview, which shows a sample file instead.
function videoRef(url) {
  const m = /\/media\/items\/(\d+)\/(\d+)/.exec(url || "");
  return m ? { item: m[1], index: m[2] } : null;
}

// The player: an <img> showing frame `frame`, an SVG overlay in video pixels,
// the frame number, timecode, a scrubber and play. onFrame(n) after each shown frame.
function player(control, data, ctx, onFrame) {
  stylesheet();
  const ref = videoRef(ctx.mediaUrl(control.source));
  const info = { frames: Number(data.frames) || 0, fps: Number(data.fps) || 0, width: Number(data.width) || 0, height: Number(data.height) || 0 };
  let frame = 0;
  let shown = -1;
  let playing = null;
  const img = h("img", { class: "video-frame", alt: control.source || "video", draggable: "false" });
  const overlay = s("svg", { class: "video-overlay", tabindex: "0", role: "application", "aria-label": control.name, viewBox: "0 0 1 1", preserveAspectRatio: "none" });
  const layer = s("g", { class: "regions" });
  overlay.append(layer);
  const stage = h("div", { class: "video-stage", dataset: { frame: "" } }, img, overlay);
  const number = h("input", { type: "number", class: "video-number", min: "0", value: "0", "aria-label": ctx.t("work.video_frame") });
  const code = h("span", { class: "video-timecode mono" }, "00:00:00:00");
  const total = h("span", { class: "muted" }, "");
  const scrub = h("input", { type: "range", class: "video-scrub", min: "0", max: "0", value: "0", "aria-label": ctx.t("work.video_seek") });
  const play = h("button", { type: "button", class: "small", title: "Space", onclick: () => toggle() }, `▶ ${ctx.t("work.video_play")}`);
  const bar = h("div", { class: "video-bar" },
    h("button", { type: "button", class: "small", title: ",", "aria-label": ctx.t("work.video_prev"), onclick: () => seek(frame - 1) }, "◀"),
    play,
    h("button", { type: "button", class: "small", title: ".", "aria-label": ctx.t("work.video_next"), onclick: () => seek(frame + 1) }, "▶"),
    h("label", {}, `${ctx.t("work.video_frame")} `, number), total, code, scrub);
  const cache = new Map(); // frame -> loaded Image, least recently used first
  const url = (n) => `/api/v1/items/${ref.item}/video/${ref.index}/frames/${n}`;
  let direction = 1; // which way the annotator last stepped
  let stepped = false; // the last seek was a step (, . and Shift), not a jump
  let wanted = []; // frames to prefetch, nearest first
  let fetching = 0;

  function load(n) {
    let im = cache.get(n);
    if (im) { cache.delete(n); cache.set(n, im); return im; }
    im = new Image();
    im.src = url(n);
    im.ready = im.decode().then(() => true, () => { cache.delete(n); return false; }); // a failed frame is asked again later
    cache.set(n, im);
    if (cache.size > CACHED_FRAMES) cache.delete(cache.keys().next().value);
    return im;
  }

  // While the annotator steps, the next frames the way they step (and the one
  // behind) are asked for and decoded, two at a time, so a step finds its frame
  // ready. A jump asks for its frame alone (prefetching after jumps slowed the
  // jumps that followed) and drops what is still waiting.
  function prefetch(n) {
    wanted = [];
    for (let k = 1; k <= PREFETCH_AHEAD; k += 1) wanted.push(n + k * direction);
    wanted.push(n - direction);
    wanted = wanted.filter((f) => f >= 0 && f < info.frames && !cache.has(f));
    pump();
  }

  function pump() {
    while (fetching < 2 && wanted.length) {
      const f = wanted.shift();
      if (cache.has(f)) continue;
      fetching += 1;
      load(f).ready.then(() => { fetching -= 1; pump(); });
    }
  }

  async function show(n) {
    const im = load(n);
    const ok = await im.ready;
    if (n !== frame) return; // a later seek won
    if (ok) img.src = im.src;
    shown = n;
    stage.dataset.frame = String(n);
    onFrame(n);
    if (stepped && !playing) prefetch(n);
  }

  function seek(n) {
    if (!info.frames) return;
    const next = Math.max(0, Math.min(info.frames - 1, Math.round(n)));
    if (next !== frame) direction = next < frame ? -1 : 1;
    stepped = next !== frame && Math.abs(next - frame) <= 10;
    if (!stepped) wanted = [];
    frame = next;
    number.value = String(frame);
    scrub.value = String(frame);
    code.textContent = timecode(frame, info.fps);
    onFrame(frame); // the overlay follows at once; the picture when decoded
    if (ref) show(frame);
  }

  function toggle() {
    if (playing) { playing = null; play.textContent = `▶ ${ctx.t("work.video_play")}`; return; }
    if (frame >= info.frames - 1) seek(0);
    const started = { at: performance.now(), from: frame };
    playing = started;
    play.textContent = `❚❚ ${ctx.t("work.video_pause")}`;
    const tick = async () => {
      if (playing !== started) return;
      for (let k = 1; k <= 8; k += 1) if (frame + k < info.frames) load(frame + k);
      const due = started.from + Math.floor(((performance.now() - started.at) / 1000) * (info.fps || 25));
      if (due > frame && shown === frame) {
        const next = Math.min(info.frames - 1, frame + 1); // never skip a frame: wait for it
        if (next === frame) { toggle(); return; }
        seek(next);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  number.addEventListener("change", () => seek(Number(number.value)));
  // Digits and Enter belong to the box, not to the label keys or the submit.
  number.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") { e.preventDefault(); seek(Number(number.value)); }
  });
  scrub.addEventListener("input", () => seek(Number(scrub.value)));

  const ready = (ref ? api("GET", `/items/${ref.item}/video/${ref.index}`) : Promise.resolve(null)).then((found) => {
    if (found) Object.assign(info, found);
    overlay.setAttribute("viewBox", `0 0 ${info.width || 1} ${info.height || 1}`);
    stage.style.aspectRatio = `${info.width || 16} / ${info.height || 9}`;
    scrub.max = String(Math.max(0, info.frames - 1));
    number.max = String(Math.max(0, info.frames - 1));
    total.textContent = `/ ${Math.max(0, info.frames - 1)}`;
    stage.dataset.frames = String(info.frames);
    seek(0);
  }).catch((error) => { total.textContent = `${ctx.t("work.tool_failed")}: ${error.message}`; });
  if (!ref) { stage.prepend(h("video", { class: "video-frame", src: ctx.mediaUrl(control.source), controls: true, muted: true })); img.remove(); }

  const toVideo = (e) => {
    const pt = overlay.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    const p = pt.matrixTransform(overlay.getScreenCTM().inverse());
    return { x: Math.min(info.width, Math.max(0, p.x)), y: Math.min(info.height, Math.max(0, p.y)) };
  };

  return {
    info, stage, bar, overlay, layer, ready, toVideo, seek, load,
    get frame() { return frame; },
    scale: () => (info.width || 1) / (overlay.clientWidth || 1),
    key(e) {
      const step = e.shiftKey ? 10 : 1;
      if (e.key === "," || e.key === "<") { seek(frame - step); return true; }
      if (e.key === "." || e.key === ">") { seek(frame + step); return true; }
      if (e.key === " ") { toggle(); return true; }
      if (e.key === "Home") { seek(0); return true; }
      if (e.key === "End") { seek(info.frames - 1); return true; }
      return false;
    },
    stop() { playing = null; },
  };
}

function drag(el, e, onMove, onEnd) {
  el.setPointerCapture(e.pointerId);
  const move = (ev) => onMove(ev);
  const up = (ev) => { el.removeEventListener("pointermove", move); el.removeEventListener("pointerup", up); onEnd(ev); };
  el.addEventListener("pointermove", move);
  el.addEventListener("pointerup", up);
}

const round = (x) => Math.round(x * 10) / 10;

// Number keys 1-9 as a label palette; returns {el, active(), key(e)}.
function palette(control, ctx, onPick) {
  const labels = labelList(control);
  let active = labels[0]?.name;
  const buttons = labelChips(labels, pick);
  const el = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") }, ...buttons);
  function mark() {
    for (const b of buttons) { b.classList.toggle("active", b.dataset.label === active); b.setAttribute("aria-pressed", String(b.dataset.label === active)); }
  }
  function pick(name) { active = name; mark(); onPick(name); }
  mark();
  return {
    el, labels, active: () => active,
    key(e) {
      const n = Number(e.key);
      if (!e.ctrlKey && !e.altKey && !e.metaKey && n >= 1 && n <= Math.min(9, labels.length)) { pick(labels[n - 1].name); return true; }
      return false;
    },
  };
}

// ---------------------------------------------------------------- tracks

export function video_track(control, data, ctx) {
  let tracks = []; // [{track_id, label, keyframes}]
  let selected = null; // track_id
  let suggestions = null; // {track_id, boxes: [{frame, x, y, width, height}]}
  let draft = null;
  let note = "";
  const v = player(control, data, ctx, () => render());
  const pal = palette(control, ctx, () => render());
  const hint = h("p", { class: "spans-hint muted", role: "status" });
  const timeline = h("div", { class: "video-timeline", "aria-label": ctx.t("work.video_tracks") });
  const list = h("ul", { class: "region-list" });
  const help = h("p", { class: "muted small" }, ctx.t("work.video_track_keys"));
  const follow = h("button", { type: "button", class: "small", title: "T", onclick: () => propagate() }, `${ctx.t("work.video_follow")} (T)`);
  const accept = h("button", { type: "button", class: "small", title: "A", disabled: true, onclick: () => acceptSuggestions() }, `${ctx.t("work.video_accept")} (A)`);
  const el = h("div", { class: "video-tool" }, pal.el, hint, v.stage, v.bar, h("div", { class: "video-help" }, follow, accept, help), timeline, list);
  const labels = pal.labels;
  const track = (id) => tracks.find((t) => t.track_id === id);
  const nextId = () => tracks.reduce((m, t) => Math.max(m, Number(t.track_id) || 0), 0) + 1;
  const clean = (kf) => {
    const out = { frame: kf.frame, x: round(kf.x), y: round(kf.y), width: Math.max(0.1, round(kf.width)), height: Math.max(0.1, round(kf.height)) };
    if (kf.outside) out.outside = true;
    if (kf.occluded) out.occluded = true;
    return out;
  };

  function setKeyframe(id, kf) {
    tracks = tracks.map((t) => (t.track_id === id ? { ...t, keyframes: withKeyframe(t.keyframes, clean(kf)) } : t));
  }

  function render() {
    const k = v.scale();
    const frame = v.frame;
    const nodes = [];
    for (const t of tracks) {
      const b = boxAt(t.keyframes, frame);
      if (!b) continue;
      const c = colourOf(labels, t.label);
      const sel = t.track_id === selected;
      const g = s("g", { class: `region${sel ? " selected" : ""}${b.key ? " key" : ""}${b.occluded ? " occluded" : ""}`, "data-track": String(t.track_id) });
      g.append(s("rect", { class: "body", x: b.x, y: b.y, width: b.width, height: b.height, fill: `${c}22`, stroke: c, "stroke-width": (b.key ? 3 : 2) * k, "stroke-dasharray": b.occluded ? `${6 * k}` : "none" }));
      if (sel) for (const [hx, hy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        g.append(s("rect", { class: "handle", "data-hx": hx, "data-hy": hy, x: b.x + hx * b.width - 5 * k, y: b.y + hy * b.height - 5 * k, width: 10 * k, height: 10 * k, fill: "#fff", stroke: c, "stroke-width": k }));
      }
      g.append(s("text", { x: b.x, y: b.y - 4 * k, fill: c, "font-size": 13 * k, class: "region-label" }, `${t.label} #${t.track_id}${b.key ? " ◆" : ""}`));
      nodes.push(g);
    }
    const hinted = suggestions?.boxes.find((b) => b.frame === frame);
    if (hinted) nodes.push(s("rect", { class: "suggestion", x: hinted.x, y: hinted.y, width: hinted.width, height: hinted.height, fill: "none", stroke: "#ffd400", "stroke-width": 2 * k, "stroke-dasharray": `${4 * k}` }));
    if (draft) nodes.push(s("rect", { ...draft, fill: "none", stroke: colourOf(labels, pal.active()), "stroke-width": 2 * k, "stroke-dasharray": `${4 * k}` }));
    v.layer.replaceChildren(...nodes);
    renderTimeline(frame);
    list.replaceChildren(...tracks.map((t) => {
      const b = boxAt(t.keyframes, frame);
      const li = h("li", { class: t.track_id === selected ? "selected" : "", dataset: { track: String(t.track_id) } },
        h("button", { type: "button", class: "chip", onclick: () => { selected = t.track_id; render(); } }, `${t.label} #${t.track_id}`), " ",
        h("span", { class: "muted" }, `${t.keyframes.length} ${ctx.t("work.video_keyframes")} · ${b ? `${Math.round(b.x)}, ${Math.round(b.y)}, ${Math.round(b.width)}×${Math.round(b.height)}` : ctx.t("work.video_absent")}`),
        h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} #${t.track_id}`, onclick: () => removeTrack(t.track_id) }, "×"));
      li.querySelector(".chip").style.borderColor = colourOf(labels, t.label);
      return li;
    }));
    accept.disabled = !suggestions;
    const sel = track(selected);
    hint.textContent = note || (sel ? `#${sel.track_id} ${sel.label} · ${ctx.t("work.regions_active")} ${pal.active() || ""}` : `${ctx.t("work.regions_active")} ${pal.active() || ""}`);
  }

  // One row per track: where it is present, its keyframes; a click seeks.
  function renderTimeline(frame) {
    const n = Math.max(1, v.info.frames);
    const pct = (f) => `${(100 * f) / n}%`;
    const rows = tracks.map((t) => {
      const row = h("div", { class: `video-row${t.track_id === selected ? " selected" : ""}`, dataset: { track: String(t.track_id) } });
      const rowsOf = interpolate(t.keyframes, n);
      let start = -1;
      for (let f = 0; f <= n; f += 1) {
        const on = f < n && rowsOf[f * 6 + 4] === 1;
        if (on && start < 0) start = f;
        if (!on && start >= 0) {
          const span = h("span", { class: "video-span" });
          span.style.left = pct(start); span.style.width = pct(f - start); span.style.background = `${colourOf(labels, t.label)}55`;
          row.append(span); start = -1;
        }
      }
      for (const kf of t.keyframes) {
        const tick = h("span", { class: `video-tick${kf.outside ? " outside" : ""}`, title: String(kf.frame) });
        tick.style.left = pct(kf.frame); tick.style.background = colourOf(labels, t.label);
        row.append(tick);
      }
      return row;
    });
    const head = h("span", { class: "video-head" });
    head.style.left = pct(frame);
    timeline.replaceChildren(...rows, head);
  }
  timeline.addEventListener("pointerdown", (e) => {
    const r = timeline.getBoundingClientRect();
    v.seek(((e.clientX - r.left) / r.width) * v.info.frames);
    const row = e.target.closest?.("[data-track]");
    if (row) { selected = tracks.find((t) => String(t.track_id) === row.dataset.track)?.track_id ?? selected; render(); }
  });

  function removeTrack(id) { tracks = tracks.filter((t) => t.track_id !== id); if (selected === id) selected = null; ctx.changed(); render(); }

  function removeKeyframe() {
    const t = track(selected);
    if (!t) return false;
    const kept = t.keyframes.filter((kf) => kf.frame !== v.frame);
    if (kept.length === t.keyframes.length) return false;
    if (!kept.length) { removeTrack(t.track_id); return true; }
    tracks = tracks.map((x) => (x === t ? { ...x, keyframes: kept } : x));
    ctx.changed(); render(); return true;
  }

  // A keyframe on this frame from the track's box here (or its last box), with a flag changed.
  function flag(name) {
    const t = track(selected);
    if (!t) return false;
    const here = boxAt(t.keyframes, v.frame);
    const last = [...t.keyframes].reverse().find((kf) => kf.frame <= v.frame && !kf.outside) || t.keyframes[0];
    const base = here || last;
    const current = t.keyframes.find((kf) => kf.frame === v.frame);
    const kf = { frame: v.frame, x: base.x, y: base.y, width: base.width, height: base.height, occluded: here?.occluded, ...(current || {}) };
    if (name === "outside") kf.outside = !(current?.outside || !here);
    else if (name === "occluded") { kf.occluded = !kf.occluded; kf.outside = false; }
    setKeyframe(t.track_id, kf);
    ctx.changed(); render(); return true;
  }

  async function propagate() {
    const t = track(selected);
    const ref = videoRef(ctx.mediaUrl(control.source));
    const b = t && boxAt(t.keyframes, v.frame);
    if (!b || !ref) { note = ctx.t("work.video_select_first"); render(); note = ""; return; }
    const start = v.frame;
    hint.textContent = ctx.t("work.video_following");
    try {
      const found = await api("POST", `/items/${ref.item}/video/${ref.index}/propagate`, { frame: start, box: { x: b.x, y: b.y, width: b.width, height: b.height }, count: PROPAGATE_FRAMES });
      suggestions = found.data.length ? { track_id: t.track_id, boxes: found.data } : null;
      note = `${found.data.length} ${ctx.t("work.video_suggested")} (${found.tracker})`;
      for (const sb of found.data) v.load(sb.frame);
    } catch (error) {
      note = `${ctx.t("work.tool_failed")}: ${error.message}`;
    }
    render(); note = "";
  }

  function acceptSuggestions() {
    if (!suggestions || !track(suggestions.track_id)) return false;
    for (const b of suggestions.boxes) setKeyframe(suggestions.track_id, b);
    const last = suggestions.boxes[suggestions.boxes.length - 1].frame;
    suggestions = null;
    ctx.changed();
    v.seek(last);
    return true;
  }

  v.overlay.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    v.overlay.focus();
    ctx.activate();
    v.stop();
    const p = v.toVideo(e);
    const frame = v.frame;
    const g = e.target.closest?.("[data-track]");
    const t = g && tracks.find((x) => String(x.track_id) === g.dataset.track);
    if (t) {
      selected = t.track_id; render();
      const orig = boxAt(t.keyframes, frame);
      const hx = e.target.dataset.hx, hy = e.target.dataset.hy;
      const before = JSON.stringify(t.keyframes);
      drag(v.overlay, e, (ev) => {
        const q = v.toVideo(ev);
        const dx = q.x - p.x, dy = q.y - p.y;
        let next;
        if (hx !== undefined) {
          const x0 = hx === "0" ? orig.x + dx : orig.x, x1 = hx === "1" ? orig.x + orig.width + dx : orig.x + orig.width;
          const y0 = hy === "0" ? orig.y + dy : orig.y, y1 = hy === "1" ? orig.y + orig.height + dy : orig.y + orig.height;
          next = { x: Math.min(x0, x1), y: Math.min(y0, y1), width: Math.max(1, Math.abs(x1 - x0)), height: Math.max(1, Math.abs(y1 - y0)) };
        } else next = { x: orig.x + dx, y: orig.y + dy, width: orig.width, height: orig.height };
        setKeyframe(t.track_id, { frame, ...next, occluded: orig.occluded });
        render();
      }, () => { if (JSON.stringify(track(t.track_id)?.keyframes) !== before) ctx.changed(); render(); });
      return;
    }
    selected = null;
    const label = pal.active();
    if (!label) return;
    draft = { x: p.x, y: p.y, width: 0, height: 0 };
    drag(v.overlay, e, (ev) => {
      const q = v.toVideo(ev);
      draft = { x: Math.min(p.x, q.x), y: Math.min(p.y, q.y), width: Math.abs(q.x - p.x), height: Math.abs(q.y - p.y) };
      render();
    }, () => {
      const d = draft; draft = null;
      if (d.width >= 3 * v.scale() && d.height >= 3 * v.scale()) {
        const t2 = { track_id: nextId(), label, keyframes: [clean({ frame, ...d })] };
        tracks = [...tracks, t2]; selected = t2.track_id; ctx.changed();
      }
      render();
    });
  });

  function jumpKeyframe(step) {
    const t = track(selected);
    if (!t) return false;
    const frames = t.keyframes.map((kf) => kf.frame);
    const target = step > 0 ? frames.find((f) => f > v.frame) : [...frames].reverse().find((f) => f < v.frame);
    if (target !== undefined) v.seek(target);
    return true;
  }

  function cycle(step) {
    if (!tracks.length) return false;
    const at = tracks.findIndex((t) => t.track_id === selected);
    selected = tracks[((at < 0 ? (step > 0 ? -1 : 0) : at) + step + tracks.length) % tracks.length].track_id;
    render(); return true;
  }

  return {
    el,
    get: () => (tracks.length ? tracks.map((t) => ({ track_id: t.track_id, label: t.label, keyframes: t.keyframes.map(clean) })) : null),
    set(value) {
      tracks = (value || []).map((t) => ({ ...t, keyframes: [...(t.keyframes || [])].sort((a, b) => a.frame - b.frame) }));
      if (!track(selected)) selected = null;
      suggestions = null;
      render();
    },
    key(e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      if (pal.key(e)) { render(); return true; }
      if (v.key(e)) return true;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      if (key === "o") return flag("outside");
      if (key === "c") return flag("occluded");
      if (key === "k") {
        const t = track(selected);
        const b = t && boxAt(t.keyframes, v.frame);
        if (!b) return false;
        setKeyframe(t.track_id, { frame: v.frame, ...b }); ctx.changed(); render(); return true;
      }
      if (key === "n") return jumpKeyframe(1);
      if (key === "p") return jumpKeyframe(-1);
      if (key === "t") { propagate(); return true; }
      if (key === "a") return acceptSuggestions();
      if (key === "ArrowDown") return cycle(1);
      if (key === "ArrowUp") return cycle(-1);
      if ((key === "Delete" || key === "Backspace") && selected !== null) {
        if (e.shiftKey) { removeTrack(selected); return true; }
        return removeKeyframe() || (removeTrack(selected), true);
      }
      if (key === "Escape") {
        if (suggestions) { suggestions = null; render(); return true; }
        if (selected !== null) { selected = null; render(); return true; }
      }
      return false;
    },
    refresh: () => render(),
    focus: () => v.overlay.focus(),
  };
}

// ---------------------------------------------------------------- segments

// Temporal segments over a video: a time_region's {id, label, start, end} in
// seconds, marked on frames ([ start at this frame, ] end after this frame).
export function videoSegments(control, data, ctx) {
  let segments = [];
  let selected = null;
  let open = null; // the frame a segment was started on
  let counter = 0;
  const v = player(control, data, ctx, () => render());
  const pal = palette(control, ctx, () => render());
  const hint = h("p", { class: "spans-hint muted", role: "status" });
  const timeline = h("div", { class: "video-timeline segments", "aria-label": ctx.t("work.video_segments") });
  const list = h("ul", { class: "region-list" });
  const help = h("p", { class: "muted small" }, ctx.t("work.video_segment_keys"));
  const el = h("div", { class: "video-tool segments" }, pal.el, hint, v.stage, v.bar, help, timeline, list);
  const labels = pal.labels;
  const fps = () => v.info.fps || 25;
  const seconds = (f) => Math.round((f / fps()) * 1000) / 1000;
  const frameOf = (t) => Math.round(t * fps());
  const newSegId = () => { counter += 1; return `s${Date.now().toString(36)}${counter}`; };

  function render() {
    const n = Math.max(1, v.info.frames);
    const pct = (f) => `${(100 * f) / n}%`;
    const bars = segments.map((sg) => {
      const b = h("span", { class: `video-segment${sg.id === selected ? " selected" : ""}`, dataset: { segment: sg.id }, title: `${sg.label} ${sg.start}–${sg.end} s` }, sg.label);
      b.style.left = pct(frameOf(sg.start)); b.style.width = pct(frameOf(sg.end) - frameOf(sg.start));
      b.style.background = `${colourOf(labels, sg.label)}88`;
      return b;
    });
    if (open !== null) {
      const b = h("span", { class: "video-segment open" });
      b.style.left = pct(Math.min(open, v.frame)); b.style.width = pct(Math.abs(v.frame - open) + 1);
      bars.push(b);
    }
    const head = h("span", { class: "video-head" });
    head.style.left = pct(v.frame);
    timeline.replaceChildren(...bars, head);
    v.layer.replaceChildren();
    list.replaceChildren(...segments.map((sg) => {
      const li = h("li", { class: sg.id === selected ? "selected" : "", dataset: { segment: sg.id } },
        h("button", { type: "button", class: "chip", onclick: () => { selected = sg.id; v.seek(frameOf(sg.start)); } }, sg.label), " ",
        h("span", { class: "muted" }, `${timecode(frameOf(sg.start), fps())} – ${timecode(frameOf(sg.end), fps())} (${sg.start}–${sg.end} s)`),
        h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${sg.label}`, onclick: () => remove(sg.id) }, "×"));
      li.querySelector(".chip").style.borderColor = colourOf(labels, sg.label);
      return li;
    }));
    hint.textContent = open !== null ? `${ctx.t("work.video_segment_open")} ${timecode(open, fps())}` : `${ctx.t("work.regions_active")} ${pal.active() || ""}`;
  }
  timeline.addEventListener("pointerdown", (e) => {
    const r = timeline.getBoundingClientRect();
    const seg = e.target.closest?.("[data-segment]");
    if (seg) selected = seg.dataset.segment;
    v.seek(((e.clientX - r.left) / r.width) * v.info.frames);
  });

  function remove(id) { segments = segments.filter((x) => x.id !== id); if (selected === id) selected = null; ctx.changed(); render(); }

  function close() {
    if (open === null || !pal.active()) return false;
    const a = Math.min(open, v.frame), b = Math.max(open, v.frame) + 1; // the end frame is inside
    const sg = { id: newSegId(), label: pal.active(), start: seconds(a), end: seconds(Math.min(b, v.info.frames || b)) };
    open = null;
    if (sg.end > sg.start) { segments = [...segments, sg].sort((p, q) => p.start - q.start); selected = sg.id; ctx.changed(); }
    render(); return true;
  }

  return {
    el,
    get: () => (segments.length ? segments.map((sg) => ({ ...sg })) : null),
    set(value) { segments = (value || []).map((sg) => ({ ...sg, id: String(sg.id ?? newSegId()) })); if (!segments.some((x) => x.id === selected)) selected = null; render(); },
    key(e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      if (pal.key(e)) { render(); return true; }
      if (v.key(e)) return true;
      if (e.key === "[") { open = v.frame; render(); return true; }
      if (e.key === "]") return close();
      if ((e.key === "Delete" || e.key === "Backspace") && selected) { remove(selected); return true; }
      if (e.key === "Escape" && (open !== null || selected)) { open = null; selected = null; render(); return true; }
      return false;
    },
    refresh: () => render(),
    focus: () => v.overlay.focus(),
  };
}
