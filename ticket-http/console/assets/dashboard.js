// The dashboard: totals, open work, tickets per day, by status / priority / category,
// SLA met / breached / at risk and agent load, from `GET /stats`; redrawn live when a
// ticket changes.

import { api } from "./api.js";
import { bars } from "./charts.js";
import * as feed from "./feed.js";
import { debounce, failed, fill, h } from "./ui.js";
import { directory } from "./queue.js";

const PRIORITY_ORDER = ["critical", "high", "medium", "low"];

function tile(label, value, id) {
  return h("div", { class: "tile" }, h("div", { class: "n", id }, String(value)), h("div", { class: "muted" }, label));
}

/** The dashboard screen. */
export async function dashboard(root) {
  const dir = await directory();
  const range = h("select", { id: "range", name: "range" },
    [["30", "Last 30 days"], ["7", "Last 7 days"], ["1", "Today"], ["365", "Last year"]].map(([v, t]) => h("option", { value: v }, t)));
  const body = h("div", { "aria-live": "polite" });
  const updated = h("p", { class: "hint", role: "status" });
  async function load() {
    const from = new Date(Date.now() - Number(range.value) * 86400000).toISOString();
    try {
      const s = await api("GET", "/stats", undefined, { from });
      const byPriority = PRIORITY_ORDER.map((p) => [p, s.by_priority[p] ?? 0]);
      fill(body,
        h("div", { class: "tiles" },
          tile("tickets", s.total, "stat-total"),
          tile("open", s.open, "stat-open"),
          tile("per day", s.average_per_day.toFixed(1), "stat-per-day"),
          tile("SLA met", s.sla.met, "stat-sla-met"),
          tile("SLA breached", s.sla.breached, "stat-sla-breached"),
          tile("SLA at risk", s.sla.at_risk, "stat-sla-risk")),
        h("div", { class: "charts" },
          bars("By status", Object.entries(s.by_status)),
          bars("By priority", byPriority),
          bars("By category", Object.entries(s.by_category)),
          bars("SLA", [["met", s.sla.met], ["breached", s.sla.breached], ["at risk", s.sla.at_risk]]),
          bars("Agent load (open)", s.agent_load.map((a) => [dir.name(a.user_id), a.open]))));
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      fill(body, failed(e));
    }
  }
  range.addEventListener("change", load);
  fill(root, h("h1", {}, "Dashboard"), h("div", { class: "field narrow" }, h("label", { for: "range" }, "Period"), range), updated, body);
  await load();
  return feed.subscribe(debounce(load, 400));
}
