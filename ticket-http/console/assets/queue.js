// The agent's queue: combinable filters kept in the address (so a view is a link), saved
// personal views, sort, cursor paging, bulk actions on selected rows, live updates and
// keyboard navigation.

import { api, currentUser } from "./api.js";
import * as feed from "./feed.js";
import { CATEGORIES, PRIORITIES, debounce, failed, fill, h, notice, pill, priorityPill, slaPill, when } from "./ui.js";

const FILTERS = ["status_category", "status", "priority", "category", "tag", "assignee", "team", "q", "sort"];
const STATUSES = ["new", "open", "in_progress", "pending", "resolved", "closed"];

/** The people and teams named in the queue (loaded once per visit). */
export async function directory() {
  const staff = (role) => api("GET", "/users", undefined, { role, limit: 100 }).catch(() => ({ items: [] }));
  const [agents, admins, supers, teams] = await Promise.all([
    staff("agent"),
    staff("admin"),
    staff("superadmin"),
    api("GET", "/teams", undefined, { limit: 100 }).catch(() => ({ items: [] })),
  ]);
  const people = new Map([...agents.items, ...admins.items, ...supers.items].map((u) => [u.id, u]));
  const me = currentUser();
  people.set(me.id, me);
  return { people, teams: teams.items, name: (id) => (id ? people.get(id)?.name ?? "someone" : "—") };
}

/** Saved views: named filter sets kept with the account (`/me/views`), so every device of
 * the user shows the same ones. */
async function savedViews() {
  let cache = (await api("GET", "/me/views").catch(() => ({ views: [] }))).views;
  return {
    list: () => cache,
    async save(views) {
      cache = (await api("PUT", "/me/views", { views })).views;
    },
  };
}

function select(id, label, name, options, value) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name }, options.map(([v, t]) => h("option", { value: v, selected: v === value || undefined }, t))));
}

/** The queue screen. */
export async function queue(root, _params, ctx) {
  const params = new URLSearchParams(location.search);
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""]));
  if (!params.toString()) filters.status_category = "new,open,pending";
  const dir = await directory();
  const views = await savedViews();

  const form = h("form", { class: "card", role: "search", "aria-label": "Filter tickets" },
    h("div", { class: "row" },
      select("f-state", "State", "status_category", [["", "Any"], ["new,open,pending", "Open work"], ["new", "New"], ["pending", "Pending"], ["solved", "Resolved"], ["closed", "Closed"]], filters.status_category),
      select("f-status", "Status", "status", [["", "Any"], ...STATUSES.map((s) => [s, s.replace("_", " ")])], filters.status),
      select("f-priority", "Priority", "priority", [["", "Any"], ["high,critical", "High or critical"], ...PRIORITIES.map((p) => [p, p])], filters.priority),
      select("f-category", "Category", "category", [["", "Any"], ...CATEGORIES.map((c) => [c, c])], filters.category),
      select("f-assignee", "Assignee", "assignee", [["", "Anyone"], ["me", "Mine"], ["none", "Unassigned"], ...[...dir.people.values()].map((u) => [u.id, u.name])], filters.assignee),
      select("f-team", "Team", "team", [["", "Any"], ...dir.teams.map((t) => [t.id, t.name])], filters.team)),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "f-tag" }, "Tags"), h("input", { id: "f-tag", name: "tag", value: filters.tag, placeholder: "vpn, login" })),
      h("div", { class: "field" }, h("label", { for: "f-q" }, "Search"), h("input", { id: "f-q", name: "q", type: "search", value: filters.q, placeholder: "Words in title or description" })),
      select("f-sort", "Sort", "sort", [["", "Newest"], ["created_asc", "Oldest"], ["updated_desc", "Recently changed"], ["priority_desc", "Most urgent"]], filters.sort)));

  const viewSelect = h("select", { id: "views", "aria-label": "Saved views" });
  const viewName = h("input", { id: "view-name", placeholder: "Name this view", "aria-label": "Name of the view to save" });
  function renderViews() {
    fill(viewSelect, h("option", { value: "" }, "Saved views…"), views.list().map((v, i) => h("option", { value: String(i) }, v.name)));
  }
  renderViews();
  viewSelect.addEventListener("change", () => {
    const v = views.list()[Number(viewSelect.value)];
    if (v) ctx.navigate(`/queue?${v.query}`);
  });
  const saveView = h("button", { type: "button", class: "secondary" }, "Save view");
  saveView.addEventListener("click", async () => {
    const name = viewName.value.trim();
    if (!name) {
      notice("Name the view first.", "error");
      viewName.focus();
      return;
    }
    const all = views.list().filter((v) => v.name.toLowerCase() !== name.toLowerCase());
    all.push({ name, query: queryString() });
    try {
      await views.save(all);
    } catch (e) {
      return notice(e.message || "The view was not saved.", "error");
    }
    viewName.value = "";
    renderViews();
    notice(`View “${name}” saved.`);
  });
  const deleteView = h("button", { type: "button", class: "secondary" }, "Delete view");
  deleteView.addEventListener("click", async () => {
    const i = Number(viewSelect.value);
    if (viewSelect.value === "") return notice("Choose a saved view to delete.", "error");
    try {
      await views.save(views.list().filter((_, j) => j !== i));
    } catch (e) {
      return notice(e.message || "The view was not deleted.", "error");
    }
    renderViews();
  });

  const body = h("tbody");
  const all = h("input", { type: "checkbox", "aria-label": "Select every ticket on this page" });
  const pager = h("div", { class: "pager" });
  const count = h("span", { class: "muted", role: "status" });
  const bulk = bulkBar(dir, () => selected(), () => load(false));
  const cursors = [null];
  let page = 0;
  let items = [];
  let focusRow = -1;

  function queryString() {
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const el = form.elements.namedItem(f);
      if (el && el.value.trim()) q.set(f, el.value.trim());
    }
    return q.toString();
  }
  function current() {
    const out = {};
    for (const f of FILTERS) {
      const el = form.elements.namedItem(f);
      if (el && el.value.trim()) out[f] = el.value.trim();
    }
    return out;
  }
  function selected() {
    return [...body.querySelectorAll("input[type=checkbox]:checked")].map((c) => items.find((t) => t.id === c.value)).filter(Boolean);
  }

  let known = new Set();
  async function load(reset, highlight = false) {
    if (reset) {
      cursors.length = 1;
      page = 0;
    }
    try {
      const res = await api("GET", "/tickets", undefined, { ...current(), cursor: cursors[page], limit: 25 });
      const answered = performance.now(); // the render time below is measured by the benchmark
      if (cursors.length === page + 1) cursors.push(res.next_cursor);
      else cursors[page + 1] = res.next_cursor;
      items = res.items;
      const before = known;
      known = new Set(items.map((t) => t.id));
      fill(body, items.length ? items.map((t) => row(t, highlight && !before.has(t.id))) : h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No ticket matches these filters.")));
      all.checked = false;
      count.textContent = `${items.length} ticket${items.length === 1 ? "" : "s"} on page ${page + 1}`;
      fill(pager,
        h("button", { type: "button", class: "secondary", disabled: page === 0 || undefined, onclick: () => { page--; load(false); } }, "Previous"),
        h("button", { type: "button", class: "secondary", disabled: !cursors[page + 1] || undefined, onclick: () => { page++; load(false); } }, "Next"),
        count);
      focusRow = -1;
      performance.measure("queue:render", { start: answered });
      performance.mark("queue:rendered");
    } catch (e) {
      fill(body, h("tr", {}, h("td", { colspan: 8 }, failed(e))));
    }
  }
  function row(t, fresh) {
    return h("tr", { "data-ticket": t.id, class: fresh ? "fresh" : undefined },
      h("td", {}, h("input", { type: "checkbox", value: t.id, "aria-label": `Select ${t.title}` })),
      h("td", { class: "title" }, h("a", { href: `/tickets/${t.id}` }, t.title)),
      h("td", {}, pill(t.status)),
      h("td", {}, priorityPill(t.priority)),
      h("td", {}, t.category, t.tags.length ? h("div", { class: "hint" }, t.tags.join(", ")) : null),
      h("td", {}, t.assignee_id ? dir.name(t.assignee_id) : h("span", { class: "muted" }, "unassigned")),
      h("td", {}, slaPill(t.sla)),
      h("td", {}, when(t.created_at)));
  }

  all.addEventListener("change", () => body.querySelectorAll("input[type=checkbox]").forEach((c) => (c.checked = all.checked)));
  const apply = () => {
    history.replaceState(null, "", `/queue?${queryString()}`);
    load(true);
  };
  form.addEventListener("change", apply);
  form.addEventListener("input", debounce((ev) => {
    if (ev.target.name === "q" || ev.target.name === "tag") apply();
  }, 350));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    apply();
  });

  fill(root,
    h("h1", {}, "Queue"),
    form,
    h("div", { class: "row" }, h("div", { class: "field" }, viewSelect), h("div", { class: "field" }, viewName), h("div", { class: "actions" }, saveView, deleteView)),
    bulk.node,
    h("table", { class: "queue", id: "queue" },
      h("caption", { class: "visually-hidden" }, "Tickets"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, all), ["Title", "Status", "Priority", "Category", "Assignee", "SLA", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      body),
    pager);
  await load(true);

  const rows = () => [...body.querySelectorAll("tr[data-ticket]")];
  const move = (d) => {
    const r = rows();
    if (!r.length) return;
    focusRow = Math.max(0, Math.min(r.length - 1, focusRow + d));
    r[focusRow].querySelector("a").focus();
  };
  ctx.shortcut("j", "next ticket", () => move(1));
  ctx.shortcut("k", "previous ticket", () => move(-1));
  ctx.shortcut("x", "select the focused ticket", () => {
    const r = rows()[focusRow];
    if (r) r.querySelector("input").click();
  });
  ctx.shortcut("/", "search", () => form.elements.namedItem("q").focus());
  const reload = debounce(() => {
    if (page === 0) load(false, true);
  }, 250);
  return feed.subscribe(() => reload());
}

/** Bulk actions on the selected tickets: assign, status, priority, add a tag. */
function bulkBar(dir, selected, done) {
  const action = h("select", { id: "bulk-action", "aria-label": "Bulk action" },
    [["", "With selected…"], ["claim", "Assign to me"], ["assign", "Assign to…"], ["status", "Set status…"], ["priority", "Set priority…"], ["tag", "Add tag…"]].map(([v, t]) => h("option", { value: v }, t)));
  const arg = h("select", { id: "bulk-arg", "aria-label": "Value", hidden: true });
  const tag = h("input", { id: "bulk-tag", "aria-label": "Tag to add", hidden: true });
  const go = h("button", { type: "button" }, "Apply");
  action.addEventListener("change", () => {
    const opts = {
      assign: [...dir.people.values()].map((u) => [u.id, u.name]),
      status: STATUSES.map((s) => [s, s]),
      priority: PRIORITIES.map((p) => [p, p]),
    }[action.value];
    arg.hidden = !opts;
    tag.hidden = action.value !== "tag";
    if (opts) fill(arg, opts.map(([v, t]) => h("option", { value: v }, t)));
  });
  go.addEventListener("click", async () => {
    const tickets = selected();
    if (!tickets.length || !action.value) return notice("Select tickets and an action first.", "error");
    const me = currentUser();
    const failures = [];
    go.disabled = true;
    for (const t of tickets) {
      try {
        if (action.value === "claim") await api("POST", `/tickets/${t.id}/assign`, { assignee_id: me.id });
        else if (action.value === "assign") await api("POST", `/tickets/${t.id}/assign`, { assignee_id: arg.value });
        else if (action.value === "status") await api("POST", `/tickets/${t.id}/transition`, { status: arg.value });
        else if (action.value === "priority") await api("PATCH", `/tickets/${t.id}`, { priority: arg.value, version: t.version });
        else if (action.value === "tag") {
          const add = tag.value.trim();
          if (!add) throw new Error("type a tag");
          await api("PATCH", `/tickets/${t.id}`, { tags: [...new Set([...t.tags, add])], version: t.version });
        }
      } catch (e) {
        failures.push(`${t.title}: ${e.message}`);
      }
    }
    go.disabled = false;
    notice(failures.length ? `${tickets.length - failures.length} changed; not changed: ${failures.join("; ")}` : `${tickets.length} ticket${tickets.length === 1 ? "" : "s"} changed.`, failures.length ? "error" : undefined);
    done();
  });
  return { node: h("div", { class: "actions", role: "group", "aria-label": "Bulk actions" }, action, arg, tag, go) };
}
