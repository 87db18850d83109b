// Every layer of a mask tool's tiles as COCO compressed RLE (column-major, what
// the schema validates), in one pass over the painted tiles; unpainted tiles
// count as zeros without being read. Used by the encoding worker
// (mask_worker.js) and by the tool itself when an answer is wanted at once.
import { encodeCounts } from "./rle.js";

// labs: Map of tile key (ty * 65536 + tx) -> Uint16Array of layer numbers,
// ts x ts; layers: [{idx, id, label, extra}] in order; H x W the image.
export function encodeLayers(labs, layers, H, W, ts) {
  const total = W * H;
  const last = new Float64Array(65536), runs = new Map(layers.map((l) => [l.idx, []]));
  let prev = 0, p = 0;
  const turn = (v, at) => { const r = runs.get(v); if (r) { r.push(at - last[v]); last[v] = at; } };
  for (let x = 0; x < W; x += 1) {
    const tx = Math.floor(x / ts), lx = x % ts;
    for (let ty = 0; ty * ts < H; ty += 1) {
      const rows = Math.min(ts, H - ty * ts);
      const lab = labs.get(ty * 65536 + tx);
      if (!lab) { if (prev) { turn(prev, p); prev = 0; } p += rows; continue; }
      for (let ly = 0; ly < rows; ly += 1) {
        const v = lab[ly * ts + lx];
        if (v !== prev) { if (prev) turn(prev, p); if (v) turn(v, p); prev = v; }
        p += 1;
      }
    }
  }
  const out = [];
  for (const l of layers) {
    const r = runs.get(l.idx);
    if (!r.length) continue; // an empty layer is no region
    if (r.length % 2 === 1) r.push(total - last[l.idx]); // still on at the end
    else if (total > last[l.idx]) r.push(total - last[l.idx]);
    out.push({ id: l.id, label: l.label, rle: { size: [H, W], counts: encodeCounts(r) }, ...l.extra });
  }
  return out;
}
