// Boxes of a video track between its keyframes: the rule of
// labelwell.media.video.interpolate (a test checks the two agree).
// Absent before the first keyframe and from an `outside` keyframe until the
// next one; linear between two keyframes (holding still towards an `outside`
// one); the last box holds to the end; `occluded` carries over from the
// keyframe before.

// Every frame 0..frames-1 as rows of 6 numbers: x, y, width, height, present, occluded.
export function interpolate(keyframes, frames) {
  const out = new Float64Array(Math.max(0, frames) * 6);
  const n = keyframes.length;
  if (!n) return out;
  let k = -1; // the keyframe at or before frame f
  for (let f = 0; f < frames; f += 1) {
    while (k + 1 < n && keyframes[k + 1].frame <= f) k += 1;
    if (k < 0) continue;
    const a = keyframes[k];
    if (a.outside) continue;
    const b = k + 1 < n ? keyframes[k + 1] : a;
    const t = b === a || b.outside ? 0 : (f - a.frame) / (b.frame - a.frame);
    const o = f * 6;
    out[o] = a.x + t * (b.x - a.x);
    out[o + 1] = a.y + t * (b.y - a.y);
    out[o + 2] = a.width + t * (b.width - a.width);
    out[o + 3] = a.height + t * (b.height - a.height);
    out[o + 4] = 1;
    out[o + 5] = a.occluded ? 1 : 0;
  }
  return out;
}

// The box on one frame ({x, y, width, height, occluded, key}) or null when absent.
export function boxAt(keyframes, frame) {
  let k = -1;
  let lo = 0, hi = keyframes.length - 1;
  while (lo <= hi) { // the last keyframe at or before `frame`
    const mid = (lo + hi) >> 1;
    if (keyframes[mid].frame <= frame) { k = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (k < 0 || keyframes[k].outside) return null;
  const a = keyframes[k];
  const b = k + 1 < keyframes.length ? keyframes[k + 1] : a;
  const t = b === a || b.outside ? 0 : (frame - a.frame) / (b.frame - a.frame);
  return {
    x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y),
    width: a.width + t * (b.width - a.width), height: a.height + t * (b.height - a.height),
    occluded: Boolean(a.occluded), key: a.frame === frame,
  };
}

// Put a keyframe into a sorted list (replacing one on the same frame).
export function withKeyframe(keyframes, kf) {
  const rest = keyframes.filter((k) => k.frame !== kf.frame);
  rest.push(kf);
  return rest.sort((p, q) => p.frame - q.frame);
}

// hh:mm:ss:ff for a frame number at a frame rate.
export function timecode(frame, fps) {
  const rate = Math.max(1, Math.round(fps || 25));
  const s = Math.floor(frame / rate), ff = frame % rate;
  const two = (x) => String(x).padStart(2, "0");
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}:${two(ff)}`;
}
