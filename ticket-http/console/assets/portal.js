// The customer's screens: my tickets, a new ticket (with the classifier's suggestions as
// one types and the FAQ answer before submitting), a ticket's public thread, and the
// profile (name, password, e-mail verification, deleting the account).

import { api, currentUser, dropSession, setUser, logout } from "./api.js";
import * as feed from "./feed.js";
import { CATEGORIES, PRIORITIES, debounce, failed, field, fill, h, notice, onSubmit, pill, priorityPill, when } from "./ui.js";

/** My tickets: status, search, live changes. */
export async function myTickets(root, _params, ctx) {
  const me = currentUser();
  const welcome = new URLSearchParams(location.search).has("welcome");
  const status = h("select", { id: "my-status", name: "status_category" },
    [["", "All"], ["new,open,pending", "Open"], ["solved", "Resolved"], ["closed", "Closed"]].map(([v, t]) => h("option", { value: v }, t)));
  const q = h("input", { id: "my-q", type: "search", name: "q", placeholder: "Words in the title or description" });
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More");
  let cursor = null;
  async function load(reset) {
    if (reset) cursor = null;
    try {
      const page = await api("GET", "/tickets", undefined, { requester: me.id, status_category: status.value, q: q.value.trim(), cursor, limit: 25 });
      const rows = page.items.map(row);
      if (reset) fill(body, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No tickets yet. ", h("a", { href: "/my/new" }, "Raise one"))));
      else body.append(...rows);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      fill(body, h("tr", {}, h("td", { colspan: 5 }, failed(e))));
    }
  }
  function row(t) {
    return h("tr", { "data-ticket": t.id },
      h("td", {}, h("a", { href: `/my/tickets/${t.id}` }, t.title)),
      h("td", {}, pill(t.status)),
      h("td", {}, priorityPill(t.priority)),
      h("td", {}, t.category),
      h("td", {}, when(t.updated_at)));
  }
  status.addEventListener("change", () => load(true));
  q.addEventListener("input", debounce(() => load(true), 300));
  more.addEventListener("click", () => load(false));
  fill(root,
    h("h1", {}, "My tickets"),
    welcome ? h("p", { class: "card", role: "status" }, "Welcome! We sent a verification link to ", h("strong", {}, me.email), ". Open it to confirm your address.") : null,
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "my-status" }, "Status"), status),
      h("div", { class: "field" }, h("label", { for: "my-q" }, "Search"), q),
      h("a", { class: "button", href: "/my/new" }, "New ticket")),
    h("table", { class: "queue" },
      h("caption", { class: "visually-hidden" }, "My tickets"),
      h("thead", {}, h("tr", {}, ["Title", "Status", "Priority", "Category", "Updated"].map((c) => h("th", { scope: "col" }, c)))),
      body),
    more);
  await load(true);
  ctx.shortcut("n", "new ticket", () => ctx.navigate("/my/new"));
  return feed.subscribe((e) => {
    if (e.requester_id === me.id) load(true);
  });
}

/** A new ticket with live suggestions. */
export function newTicket(root, _params, ctx) {
  const suggestion = h("div", { class: "suggestion", "aria-live": "polite", hidden: true, id: "suggestion" });
  const faq = h("div", { class: "card", "aria-live": "polite", hidden: true, id: "faq" });
  const form = h("form", { class: "card", novalidate: true },
    field("Title", "title", { required: true, maxlength: 200, autocomplete: "off" }),
    field("Description", "description", { type: "textarea", rows: 6, hint: "What happened, what you expected, and anything you tried." }),
    suggestion,
    h("div", { class: "row" },
      field("Category", "category", { options: [["", "Let the desk choose"], ...CATEGORIES] }),
      field("Priority", "priority", { options: [["", "Let the desk choose"], ...PRIORITIES] }),
      field("Tags", "tags", { hint: "Comma-separated" })),
    faq,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Submit ticket")));
  const input = (name) => form.elements.namedItem(name);
  let seq = 0;
  const classify = debounce(async () => {
    const title = input("title").value.trim();
    const description = input("description").value;
    if (title.length < 3) {
      suggestion.hidden = true;
      return;
    }
    const mine = ++seq;
    try {
      const p = await api("POST", "/tickets/classify", { title, description });
      if (mine !== seq) return;
      showSuggestion(p);
    } catch {
      if (mine === seq) suggestion.hidden = true; // suggestions are optional
    }
  }, 400);
  function conf(scored) {
    return scored ? ` (${Math.round(scored.confidence * 100)}% sure)` : "";
  }
  function showSuggestion(p) {
    const c = p.classification;
    const accept = h("button", { type: "button", class: "secondary", id: "accept-suggestion" }, "Use these");
    accept.addEventListener("click", () => {
      const cat = input("category");
      if (![...cat.options].some((o) => o.value === p.category)) cat.append(h("option", { value: p.category }, p.category));
      cat.value = p.category;
      input("priority").value = p.priority;
      if (p.tags.length && !input("tags").value) input("tags").value = p.tags.join(", ");
      notice(`Category ${p.category} and priority ${p.priority} chosen.`);
    });
    fill(suggestion,
      h("strong", {}, "Suggested: "),
      "category ", h("strong", { "data-suggested": "category" }, p.category), conf(c?.category),
      ", priority ", h("strong", { "data-suggested": "priority" }, p.priority), conf(c?.priority),
      p.tags.length ? `, tags ${p.tags.join(", ")}` : "",
      c ? h("span", { class: "hint" }, ` — by ${c.model}`) : h("span", { class: "hint" }, " — the desk's defaults and rules"),
      " ", accept);
    suggestion.hidden = false;
    if (p.faq) {
      fill(faq, h("h2", {}, "This may answer your question"), h("p", {}, h("strong", {}, p.faq.faq.question)), h("p", { class: "body" }, p.faq.faq.answer),
        h("p", { class: "hint" }, "If it does, you need not submit. Otherwise, go ahead."));
      faq.hidden = false;
    } else faq.hidden = true;
  }
  input("title").addEventListener("input", classify);
  input("description").addEventListener("input", classify);
  onSubmit(form, async (v) => {
    const body = {
      title: v.title.trim(),
      description: v.description,
      tags: v.tags.split(",").map((t) => t.trim()).filter(Boolean),
    };
    if (v.category) body.category = v.category;
    if (v.priority) body.priority = v.priority;
    const t = await api("POST", "/tickets", body);
    notice(`Ticket “${t.title}” submitted.`);
    ctx.navigate(`/my/tickets/${t.id}`);
  });
  fill(root, h("h1", {}, "New ticket"), form);
  input("title").focus();
}

/** A ticket as its requester sees it: the public thread, replies, resolve and reopen. */
export async function myTicket(root, { id }, ctx) {
  const head = h("div");
  const thread = h("ul", { class: "thread", "aria-live": "polite", id: "thread" });
  const reply = h("form", { class: "card", novalidate: true },
    field("Your reply", "body", { type: "textarea", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send reply")));
  let ticket;
  async function load() {
    try {
      const [t, comments] = await Promise.all([api("GET", `/tickets/${id}`), api("GET", `/tickets/${id}/comments`, undefined, { limit: 100 })]);
      ticket = t;
      renderHead();
      fill(thread, h("li", {}, h("div", { class: "meta" }, "You wrote · ", when(t.created_at)), h("div", { class: "body" }, t.description || "(no description)")),
        comments.items.map((c) => h("li", { "data-comment": c.id },
          h("div", { class: "meta" }, c.author_id === currentUser().id ? "You" : c.author_id ? "Support" : "Help desk", " · ", when(c.created_at)),
          h("div", { class: "body" }, c.body))));
    } catch (e) {
      fill(head, failed(e));
    }
  }
  function renderHead() {
    const solved = ["solved", "closed"].includes(ticket.status_category);
    const act = async (status) => {
      try {
        await api("POST", `/tickets/${id}/transition`, { status });
        await load();
      } catch (e) {
        notice(e.message, "error");
      }
    };
    fill(head,
      h("h1", {}, ticket.title),
      h("p", {}, "Status ", h("span", { id: "ticket-status" }, pill(ticket.status)), " · priority ", priorityPill(ticket.priority), " · ", ticket.category, " · raised ", when(ticket.created_at)),
      h("div", { class: "actions" },
        solved
          ? (ticket.status === "resolved" ? h("button", { type: "button", class: "secondary", onclick: () => act("open") }, "Reopen") : null)
          : h("button", { type: "button", class: "secondary", onclick: () => act("resolved") }, "Mark as resolved")));
  }
  onSubmit(reply, async (v) => {
    await api("POST", `/tickets/${id}/comments`, { body: v.body });
    reply.reset();
    await load();
  });
  fill(root, head, h("h2", {}, "Conversation"), thread, reply, h("p", {}, h("a", { href: "/my" }, "← My tickets")));
  await load();
  ctx.shortcut("r", "write a reply", () => reply.elements.namedItem("body").focus());
  return feed.subscribe((e) => {
    if (e.ticket_id === id) load();
  });
}

/** The profile: name and username, password, verification, deleting the account. */
export function profile(root, _params, ctx) {
  const me = currentUser();
  const details = h("form", { class: "card narrow", novalidate: true },
    h("h2", {}, "Profile"),
    field("Name", "name", { value: me.name, required: true }),
    field("Username", "username", { value: me.username, required: true }),
    h("p", {}, "E-mail ", h("strong", {}, me.email), " ", me.email_verified_at ? pill("verified", "s-ok") : pill("not verified", "s-risk")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save")));
  onSubmit(details, async (v) => {
    setUser(await api("PATCH", "/me", { name: v.name, username: v.username }));
    notice("Profile saved.");
  });
  const resend = me.email_verified_at ? null : h("button", { type: "button", class: "secondary", onclick: async () => {
    try {
      await api("POST", "/me/email-verification");
      notice("A new verification link is on its way.");
    } catch (e) {
      notice(e.message, "error");
    }
  } }, "Send the verification link again");
  const password = h("form", { class: "card narrow", novalidate: true },
    h("h2", {}, "Password"),
    field("Current password", "current_password", { type: "password", autocomplete: "current-password", required: true }),
    field("New password", "new_password", { type: "password", autocomplete: "new-password", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Change password")));
  onSubmit(password, async (v) => {
    await api("PUT", "/me/password", v);
    notice("Password changed: every session ended. Sign in again.");
    try {
      await logout();
    } catch {
      dropSession();
    }
    ctx.navigate("/login");
  });
  const confirmBox = h("input", { type: "checkbox", id: "confirm-delete", name: "confirm" });
  const del = h("form", { class: "card narrow", novalidate: true },
    h("h2", {}, "Delete my account"),
    h("p", {}, "Your personal data is erased; your tickets stay with the help desk without your name."),
    h("div", { class: "field" }, h("label", {}, confirmBox, " I understand this cannot be undone"), h("span", { class: "field-error", "data-error-for": "confirm" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Delete my account")));
  onSubmit(del, async (v) => {
    if (!v.confirm) throw { status: 422, message: "Please confirm.", errors: [{ field: "confirm", message: "tick the box to confirm" }] };
    await api("DELETE", "/me");
    feed.stop();
    dropSession();
    ctx.navigate("/login");
  });
  fill(root, h("h1", {}, "Your account"), details, resend, password, del);
}
