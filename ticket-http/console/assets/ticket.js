// The agent's ticket page: the thread (public replies and internal notes told apart),
// reply and note forms, claim / assign / transition / edit, the SLA panel, the
// classification with its confidences, and the history. The thread and the history are
// read a page at a time ("More …" fetches the next page). Live: any event of this ticket
// reloads it.

import { api, currentUser } from "./api.js";
import * as feed from "./feed.js";
import { directory } from "./queue.js";
import { CATEGORIES, PRIORITIES, failed, field, fill, h, notice, onSubmit, pill, priorityPill, relative, when } from "./ui.js";

const STATUSES = ["new", "open", "in_progress", "pending", "resolved", "closed"];

function describe(e, name) {
  const k = e.type;
  switch (k) {
    case "created": return `created (${e.priority}, ${e.category})`;
    case "status_changed": return `status ${e.from} → ${e.to}`;
    case "priority_changed": return `priority ${e.from} → ${e.to}`;
    case "category_changed": return `category ${e.from} → ${e.to}`;
    case "tags_changed": return `tags ${e.added.map((t) => `+${t}`).concat(e.removed.map((t) => `−${t}`)).join(" ")}`;
    case "assigned": return e.to ? `assigned to ${name(e.to)}` : "unassigned";
    case "team_changed": return "team changed";
    case "commented": return `${e.visibility === "internal" ? "internal note" : "public reply"} by ${e.author}`;
    case "sla_warning": return `SLA ${e.target.replace(/_/g, " ")} at risk`;
    case "sla_breached": return `SLA ${e.target.replace(/_/g, " ")} breached`;
    case "escalated": return `escalated: ${e.reason}`;
    case "rule_fired": return `rule “${e.name}” fired`;
    case "faq_suggested": return "FAQ answer suggested";
    case "fields_changed": return `changed ${e.fields.join(", ")}`;
    default: return k.replace(/_/g, " ");
  }
}

/** The SLA panel of a ticket. */
async function slaPanel(id) {
  const box = h("section", { class: "card", "aria-labelledby": "sla-h", id: "sla-panel" }, h("h2", { id: "sla-h" }, "SLA"));
  try {
    const { sla } = await api("GET", `/tickets/${id}/sla`);
    if (!sla) {
      box.append(h("p", { class: "muted" }, "No SLA policy applies."));
      return box;
    }
    let name = sla.policy_id;
    try {
      name = (await api("GET", `/sla/policies/${sla.policy_id}`)).name;
    } catch {
      /* agents may not read policies: the id stands */
    }
    box.append(h("p", {}, "Policy ", h("strong", { "data-sla-policy": "" }, name), sla.ever_breached ? h("span", { class: "s-breached" }, " · breached") : null));
    box.append(h("dl", { class: "kv" }, sla.targets.map((t) => {
      const label = t.target.replace(/_/g, " ");
      const state = t.breached ? h("span", { class: "s-breached" }, "breached")
        : t.warning ? h("span", { class: "s-risk" }, "at risk")
        : t.state === "met" ? h("span", { class: "s-ok" }, `met ${when(t.met_at)}`)
        : t.state === "running" ? h("span", { class: "s-ok" }, `due ${when(t.due_at)} (${relative(t.due_at)})`)
        : h("span", { class: "muted" }, t.state);
      return [h("dt", {}, label), h("dd", {}, state, t.warn_at && t.state === "running" && !t.warning ? h("div", { class: "hint" }, `warning ${relative(t.warn_at)}`) : null)];
    })));
  } catch (e) {
    box.append(failed(e));
  }
  return box;
}

function classificationPanel(t) {
  const c = t.classification;
  const pct = (s) => (s ? `${s.value} (${Math.round(s.confidence * 100)}%)` : "—");
  return h("section", { class: "card", "aria-labelledby": "cls-h" }, h("h2", { id: "cls-h" }, "Classification"),
    c ? h("dl", { class: "kv" },
      h("dt", {}, "category"), h("dd", {}, pct(c.category)),
      h("dt", {}, "priority"), h("dd", {}, pct(c.priority)),
      h("dt", {}, "tags"), h("dd", {}, c.tags.join(", ") || "—"),
      h("dt", {}, "model"), h("dd", {}, c.model))
      : h("p", { class: "muted" }, "Not classified (no classifier, or it did not answer)."));
}

/** The agent's ticket page. */
export async function ticketPage(root, { id }, ctx) {
  const dir = await directory();
  const me = currentUser();
  const presence = h("div", { class: "presence", role: "status", id: "presence" });
  let t;

  const head = h("div");
  const thread = h("ul", { class: "thread", id: "thread", "aria-live": "polite" });
  const workBox = h("div");
  const editBox = h("div");
  const slaBox = h("div");
  const clsBox = h("div");
  const side = h("div", {}, workBox, editBox, slaBox, clsBox);
  const historyList = h("ol", { class: "hint", id: "history" });
  const historyMore = h("div");
  const threadMore = h("div");
  const PAGE = 50;

  /**
   * Shows one page of a paged route in `list` (appended after the first), and under it
   * in `more` a button that fetches the next page, while there is one.
   */
  function showPage(list, more, path, render, label, page, append) {
    const items = page.items.map(render);
    if (append) list.append(...items);
    else fill(list, items);
    if (!page.next_cursor) return fill(more);
    fill(more, h("button", {
      type: "button", class: "secondary", "data-more": path,
      onclick: () => api("GET", path, undefined, { limit: PAGE, cursor: page.next_cursor })
        .then((next) => showPage(list, more, path, render, label, next, true))
        .catch((e) => fill(more, failed(e))),
    }, label));
  }

  const eventItem = (e) => h("li", {}, when(e.at), " — ", describe(e, dir.name), e.actor_id ? ` (${dir.name(e.actor_id)})` : "");
  const commentItem = (c) => h("li", { class: c.internal ? "internal" : "", "data-comment": c.id },
    h("div", { class: "meta" }, c.internal ? h("strong", {}, "Internal note") : "Public reply", " · ",
      c.author_id ? (c.author_id === t.requester_id ? `requester (${requesters.get(c.author_id) ?? "customer"})` : dir.name(c.author_id)) : "system", " · ", when(c.created_at)),
    h("div", { class: "body" }, c.body));

  const reply = h("form", { class: "card", novalidate: true, id: "reply" },
    field("Reply or note", "body", { type: "textarea", required: true }),
    h("div", { class: "field" }, h("label", {}, h("input", { type: "checkbox", name: "internal", id: "reply-internal" }), " Internal note (staff only)")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send")));
  onSubmit(reply, async (v) => {
    await api("POST", `/tickets/${id}/comments`, { body: v.body, internal: v.internal });
    reply.reset();
    await load();
  });

  async function act(fn, ok) {
    try {
      await fn();
      if (ok) notice(ok);
      await load();
    } catch (e) {
      notice(e.message, "error");
    }
  }

  function editPanel() {
    const version = t.version; // what the form was filled from
    const edit = h("form", { class: "card", novalidate: true, id: "edit" },
      h("h2", {}, "Edit"),
      field("Title", "title", { value: t.title, required: true }),
      h("div", { class: "row" },
        field("Priority", "priority", { options: PRIORITIES, value: t.priority }),
        field("Category", "category", { options: [...new Set([...CATEGORIES, t.category])], value: t.category })),
      field("Tags", "tags", { value: t.tags.join(", "), hint: "Comma-separated" }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Save changes")));
    onSubmit(edit, async (v) => {
      await api("PATCH", `/tickets/${id}`, {
        title: v.title,
        priority: v.priority,
        category: v.category,
        tags: v.tags.split(",").map((x) => x.trim()).filter(Boolean),
        version,
      });
      notice("Saved.");
      delete edit.dataset.dirty;
      await load();
    });
    edit.addEventListener("input", () => (edit.dataset.dirty = "true"));
    return edit;
  }

  function workPanel() {
    const assignSel = h("select", { id: "assign-to", "aria-label": "Assign to" },
      h("option", { value: "" }, "Unassigned"), [...dir.people.values()].map((u) => h("option", { value: u.id, selected: u.id === t.assignee_id || undefined }, u.name)));
    const teamSel = h("select", { id: "assign-team", "aria-label": "Team" },
      h("option", { value: "" }, "No team"), dir.teams.map((x) => h("option", { value: x.id, selected: x.id === t.team_id || undefined }, x.name)));
    const statusSel = h("select", { id: "transition-to", "aria-label": "New status" },
      STATUSES.map((s) => h("option", { value: s, selected: s === t.status || undefined }, s.replace("_", " "))));
    return h("section", { class: "card", "aria-labelledby": "work-h" }, h("h2", { id: "work-h" }, "Work"),
        h("div", { class: "actions" },
          t.assignee_id ? null : h("button", { type: "button", id: "claim", onclick: () => act(() => api("POST", `/tickets/${id}/claim`), "Claimed: it is yours.") }, "Claim")),
        h("div", { class: "field" }, h("label", { for: "assign-to" }, "Assignee"), assignSel),
        h("div", { class: "field" }, h("label", { for: "assign-team" }, "Team"), teamSel),
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api("POST", `/tickets/${id}/assign`, { assignee_id: assignSel.value || null, team_id: teamSel.value || null }), "Assignment saved.") }, "Assign"),
        h("div", { class: "field" }, h("label", { for: "transition-to" }, "Status"), statusSel),
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api("POST", `/tickets/${id}/transition`, { status: statusSel.value }), "Status changed.") }, "Change status"));
  }

  const requesters = new Map();
  async function requesterName(uid) {
    if (dir.people.has(uid)) return dir.name(uid);
    if (!requesters.has(uid)) {
      requesters.set(uid, await api("GET", `/users/${uid}`).then((u) => u.name).catch(() => "customer"));
    }
    return requesters.get(uid);
  }

  async function load() {
    let comments, events;
    try {
      [t, comments, events] = await Promise.all([
        api("GET", `/tickets/${id}`),
        api("GET", `/tickets/${id}/comments`, undefined, { limit: PAGE }),
        api("GET", `/tickets/${id}/history`, undefined, { limit: PAGE }),
      ]);
    } catch (e) {
      fill(head, failed(e));
      return;
    }
    fill(head,
      h("h1", {}, t.title),
      h("p", {}, h("span", { id: "ticket-status" }, pill(t.status)), " ", priorityPill(t.priority), " · ", t.category,
        t.tags.length ? ` · ${t.tags.join(", ")}` : "",
        " · requester ", await requesterName(t.requester_id),
        " · assignee ", h("strong", { id: "ticket-assignee" }, t.assignee_id ? dir.name(t.assignee_id) : "nobody"),
        " · raised ", when(t.created_at)));
    showPage(thread, threadMore, `/tickets/${id}/comments`, commentItem, "More replies", comments, false);
    thread.prepend(h("li", {}, h("div", { class: "meta" }, "Description · ", when(t.created_at)), h("div", { class: "body" }, t.description || "(none)")));
    showPage(historyList, historyMore, `/tickets/${id}/history`, eventItem, "More history", events, false);
    fill(workBox, workPanel());
    // The edit form is rebuilt only when it holds nothing unsaved (a stale save is then
    // refused by its version, never lost silently).
    if (!editBox.firstChild || !editBox.firstChild.dataset.dirty) fill(editBox, editPanel());
    fill(slaBox, await slaPanel(id));
    fill(clsBox, classificationPanel(t));
  }

  fill(root,
    presence,
    h("div", { class: "layout2" },
      h("div", {}, head, h("h2", {}, "Conversation"), thread, threadMore, reply, h("details", {}, h("summary", {}, "History"), historyList, historyMore)),
      side),
    h("p", {}, h("a", { href: "/queue" }, "← Queue")));
  await load();
  ctx.shortcut("r", "write a reply", () => reply.elements.namedItem("body").focus());
  ctx.shortcut("c", "claim", () => document.getElementById("claim")?.click());
  ctx.shortcut("e", "edit the title", () => document.querySelector("#edit input")?.focus());
  const stopPresence = watchPresence(id, me, dir, presence, reply);
  const unsub = feed.subscribe((e) => {
    if (e.ticket_id === id) load();
  });
  return () => {
    unsub();
    stopPresence();
  };
}

/**
 * Tells the desk that this agent is viewing (or replying to) the ticket, every 15 s,
 * and shows who else is.
 */
function watchPresence(id, me, dir, box, reply) {
  let typingUntil = 0;
  reply.addEventListener("input", () => {
    typingUntil = Date.now() + 20000;
  });
  async function beat() {
    const activity = Date.now() < typingUntil ? "replying" : "viewing";
    try {
      const res = await api("PUT", `/tickets/${id}/presence`, { activity });
      const others = res.items.filter((p) => p.user_id !== me.id);
      box.textContent = others.map((p) => `${dir.name(p.user_id)} is ${p.activity} this ticket.`).join(" ");
    } catch {
      box.textContent = "";
    }
  }
  beat();
  const timer = setInterval(beat, 15000);
  let lastTyping = false;
  const onType = () => {
    const typing = Date.now() < typingUntil;
    if (typing !== lastTyping) {
      lastTyping = typing;
      beat();
    }
  };
  reply.addEventListener("input", onType);
  return () => {
    clearInterval(timer);
    api("DELETE", `/tickets/${id}/presence`).catch(() => {});
  };
}
