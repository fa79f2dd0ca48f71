// Charts drawn by the page as SVG (no external service): horizontal bars with their
// values written out, so the numbers are readable without the picture.

import { h } from "./ui.js";

/** A horizontal bar chart of `[label, value]` pairs, titled `title`. */
export function bars(title, pairs) {
  const width = 320;
  const rowH = 24;
  const labelW = 110;
  const max = Math.max(1, ...pairs.map(([, v]) => v));
  const height = Math.max(1, pairs.length) * rowH + 8;
  const id = `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  const svg = h("svg:svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-t` },
    h("svg:title", { id: `${id}-t` }, `${title}: ${pairs.map(([l, v]) => `${l} ${v}`).join(", ") || "no data"}`),
    pairs.length === 0 ? h("svg:text", { x: 4, y: 18 }, "no data") : null,
    pairs.map(([label, value], i) => {
      const y = i * rowH + 4;
      const w = Math.round(((width - labelW - 40) * value) / max);
      return h("svg:g", {},
        h("svg:text", { x: 0, y: y + 15 }, String(label).replace(/_/g, " ").slice(0, 16)),
        h("svg:rect", { class: "bar", x: labelW, y: y + 3, width: Math.max(1, w), height: rowH - 8, rx: 2 }),
        h("svg:text", { x: labelW + w + 6, y: y + 15 }, String(value)));
    }));
  return h("figure", { class: "card", id }, h("figcaption", { class: "label" }, title), svg);
}
