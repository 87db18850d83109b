// The mask tool's encoder off the main thread: a copy of the painted tiles in,
// every layer's COCO RLE out (mask_rle.js), so the end of a brush stroke on an
// 8,000 x 8,000 image does not hold up the page.
import { encodeLayers } from "./mask_rle.js";

self.onmessage = (e) => {
  const { id, tiles, layers, H, W, ts } = e.data;
  self.postMessage({ id, regions: encodeLayers(new Map(tiles), layers, H, W, ts) });
};
