// COCO run-length encoding of masks (column-major runs, zeros first), and its
// compressed string form: rleToString / rleFrString of the COCO API
// (cocoapi/common/maskApi.c). Each count is written 5 bits a character
// (offset 48), bit 6 marks continuation, and counts after the second are
// deltas from the count two places back.

export function encodeCounts(runs) {
  let out = "";
  for (let i = 0; i < runs.length; i += 1) {
    let x = i > 2 ? runs[i] - runs[i - 2] : runs[i];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x = Math.floor(x / 32); // an arithmetic shift that holds past 2^31
      more = (c & 0x10) ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

export function decodeCounts(s) {
  const runs = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true, c = 0;
    while (more) {
      c = s.charCodeAt(p) - 48;
      x += (c & 0x1f) * 2 ** (5 * k);
      more = Boolean(c & 0x20);
      p += 1; k += 1;
    }
    if (c & 0x10) x -= 2 ** (5 * k);
    if (runs.length > 2) x += runs[runs.length - 2];
    runs.push(x);
  }
  return runs;
}

// Run lengths of a stored RLE ({size, counts}: string or list).
export const runsOf = (rle) => (typeof rle.counts === "string" ? decodeCounts(rle.counts) : rle.counts.map(Number));

// The pixels of a mask, column-major runs: calls fill(x, y0, y1) for every
// column piece [y0, y1) that is set.
export function forEachRun(rle, fill) {
  const [h] = rle.size;
  let p = 0;
  runsOf(rle).forEach((n, i) => {
    if (i % 2 === 1) {
      let q = p;
      const end = p + n;
      while (q < end) {
        const x = Math.floor(q / h), y = q % h;
        const y1 = Math.min(h, y + (end - q));
        fill(x, y, y1);
        q += y1 - y;
      }
    }
    p += n;
  });
}

// Area and [x, y, w, h] of a stored mask.
export function rleStats(rle) {
  let area = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  forEachRun(rle, (x, a, b) => {
    area += b - a;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (a < y0) y0 = a;
    if (b - 1 > y1) y1 = b - 1;
  });
  return { area, bbox: area ? [x0, y0, x1 - x0 + 1, y1 - y0 + 1] : [0, 0, 0, 0] };
}
