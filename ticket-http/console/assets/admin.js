// The admin screens: users and roles, teams and members, SLA policies and business
// calendars, rules (with a dry run against a chosen ticket), FAQ entries, webhook
// deliveries and webhook endpoints. Structured forms where the shape is flat; the JSON of
// the API where it is a tree (rules, calendars), with the API's field errors shown under
// the editor.

import { api, currentUser } from "./api.js";
import { CATEGORIES, PRIORITIES, failed, field, fill, h, notice, onSubmit, pill, when } from "./ui.js";

const SECTIONS = [
  ["users", "Users"],
  ["teams", "Teams"],
  ["sla", "SLA policies"],
  ["calendars", "Calendars"],
  ["rules", "Rules"],
  ["faqs", "FAQ"],
  ["deliveries", "Deliveries"],
];

/** The admin screen: a sub-navigation and one section. */
export async function admin(root, { section = "users" }) {
  const screen = { users, teams, sla, calendars, rules, faqs, deliveries }[section] || users;
  const body = h("div");
  fill(root,
    h("h1", {}, "Administration"),
    h("nav", { class: "subnav", "aria-label": "Administration" },
      SECTIONS.map(([s, t]) => h("a", { href: `/admin/${s}`, "aria-current": s === section ? "page" : undefined }, t))),
    body);
  await screen(body);
}

function table(caption, headers, rows) {
  return h("table", {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "None yet."))));
}

async function guarded(box, fn) {
  try {
    await fn();
  } catch (e) {
    fill(box, failed(e));
  }
}

function danger(text, fn) {
  return h("button", { type: "button", class: "secondary", onclick: async () => {
    try {
      await fn();
    } catch (e) {
      notice(e.message, "error");
    }
  } }, text);
}

async function users(root) {
  const me = currentUser();
  const list = h("div");
  const roles = me.role === "superadmin" ? ["customer", "agent", "admin", "superadmin"] : ["customer", "agent"];
  const create = h("form", { class: "card", novalidate: true, id: "new-user" },
    h("h2", {}, "New account"),
    h("div", { class: "row" },
      field("Name", "name", { required: true }),
      field("E-mail", "email", { type: "email", required: true }),
      field("Username", "username", { required: true }),
      field("Password", "password", { type: "password", autocomplete: "new-password", required: true }),
      field("Role", "role", { options: roles, value: "agent" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create")));
  onSubmit(create, async (v) => {
    await api("POST", "/users", v);
    create.reset();
    notice(`Account ${v.username} created.`);
    await load();
  });
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/users", undefined, { limit: 100 });
      fill(list, table("Users", ["Name", "E-mail", "Role", "Availability", ""], page.items.map((u) => {
        const role = h("select", { "aria-label": `Role of ${u.name}` }, roles.concat(roles.includes(u.role) ? [] : [u.role]).map((r) => h("option", { value: r, selected: r === u.role || undefined }, r)));
        role.disabled = u.id === me.id || !roles.includes(u.role);
        role.addEventListener("change", async () => {
          try {
            await api("PATCH", `/users/${u.id}`, { role: role.value });
            notice(`${u.name} is now ${role.value}.`);
          } catch (e) {
            notice(e.message, "error");
            role.value = u.role;
          }
        });
        return h("tr", {},
          h("td", {}, u.name, h("div", { class: "hint" }, u.username)),
          h("td", {}, u.email, u.email_verified_at ? "" : h("div", { class: "hint" }, "not verified")),
          h("td", {}, role),
          h("td", {}, u.agent ? u.agent.availability : "—"),
          h("td", {}, u.id === me.id ? null : danger("Delete", async () => {
            if (!confirm(`Delete ${u.name}'s account?`)) return;
            await api("DELETE", `/users/${u.id}`);
            await load();
          })));
      })));
    });
  }
  fill(root, create, list);
  await load();
}

async function teams(root) {
  const list = h("div");
  const people = (await api("GET", "/users", undefined, { role: "agent", limit: 100 })).items;
  const create = h("form", { class: "card", novalidate: true },
    h("h2", {}, "New team"),
    h("div", { class: "row" }, field("Name", "name", { required: true }), field("Description", "description"), field("Webhook URL", "webhook_url", { type: "url", hint: "Optional: receives the team's tickets" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create")));
  onSubmit(create, async (v) => {
    const body = { name: v.name, description: v.description };
    if (v.webhook_url) body.webhook_url = v.webhook_url;
    await api("POST", "/teams", body);
    create.reset();
    await load();
  });
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/teams", undefined, { limit: 100 });
      fill(list, table("Teams", ["Team", "Members", ""], page.items.map((t) => {
        const members = h("select", { multiple: true, size: Math.min(6, Math.max(2, people.length)), "aria-label": `Members of ${t.name}` },
          people.map((p) => h("option", { value: p.id, selected: t.member_ids.includes(p.id) || undefined }, p.name)));
        return h("tr", {},
          h("td", {}, t.name, h("div", { class: "hint" }, t.description)),
          h("td", {}, members, " ", danger("Save members", async () => {
            await api("PATCH", `/teams/${t.id}`, { member_ids: [...members.selectedOptions].map((o) => o.value) });
            notice(`Members of ${t.name} saved.`);
          })),
          h("td", {}, danger("Delete", async () => {
            await api("DELETE", `/teams/${t.id}`);
            await load();
          })));
      })));
    });
  }
  fill(root, create, list);
  await load();
}

async function sla(root) {
  const list = h("div");
  const cals = (await api("GET", "/sla/calendars", undefined, { limit: 100 })).items;
  const create = h("form", { class: "card", novalidate: true, id: "new-policy" },
    h("h2", {}, "New SLA policy"),
    h("div", { class: "row" },
      field("Name", "name", { required: true }),
      field("Position", "position", { type: "number", value: "0", hint: "Lower is tried first" }),
      field("Calendar", "calendar_id", { options: [["", "Around the clock"], ...cals.map((c) => [c.id, c.name])] }),
      field("Warn at %", "warn_at_percent", { type: "number", value: "80", min: 1, max: 99 })),
    h("div", { class: "row" },
      field("First response (minutes)", "first_response_minutes", { type: "number", min: 1 }),
      field("Next response (minutes)", "next_response_minutes", { type: "number", min: 1 }),
      field("Resolution (minutes)", "resolution_minutes", { type: "number", min: 1 })),
    h("div", { class: "row" },
      field("Priorities", "priorities", { hint: `Comma-separated, empty for all (${PRIORITIES.join(", ")})` }),
      field("Categories", "categories", { hint: `Comma-separated, empty for all (${CATEGORIES.join(", ")})` })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create policy")));
  const num = (s) => (s.trim() === "" ? null : Number(s));
  const listOf = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
  onSubmit(create, async (v) => {
    await api("POST", "/sla/policies", {
      name: v.name,
      position: num(v.position) ?? 0,
      warn_at_percent: num(v.warn_at_percent) ?? 80,
      calendar_id: v.calendar_id || null,
      condition: { priorities: listOf(v.priorities), categories: listOf(v.categories) },
      targets: {
        first_response_minutes: num(v.first_response_minutes),
        next_response_minutes: num(v.next_response_minutes),
        resolution_minutes: num(v.resolution_minutes),
      },
    });
    create.reset();
    notice(`Policy “${v.name}” created.`);
    await load();
  });
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/sla/policies", undefined, { limit: 100 });
      const mins = (m) => (m ? `${m} min` : "—");
      fill(list, table("SLA policies", ["Policy", "Covers", "First response", "Next response", "Resolution", ""], page.items.map((p) => h("tr", {},
        h("td", {}, p.name, p.enabled ? "" : h("div", { class: "hint" }, "disabled"), h("div", { class: "hint" }, `position ${p.position}, warns at ${p.warn_at_percent}%`)),
        h("td", {}, [...p.condition.priorities, ...p.condition.categories].join(", ") || "every ticket"),
        h("td", {}, mins(p.targets.first_response_minutes)),
        h("td", {}, mins(p.targets.next_response_minutes)),
        h("td", {}, mins(p.targets.resolution_minutes)),
        h("td", {}, danger("Delete", async () => {
          await api("DELETE", `/sla/policies/${p.id}`);
          await load();
        }))))));
    });
  }
  fill(root, create, list);
  await load();
}

/** A JSON editor form: `send(parsed)`; JSON syntax and API errors show under it. */
function jsonForm(title, name, example, send) {
  const form = h("form", { class: "card", novalidate: true },
    h("h2", {}, title),
    field("Definition (JSON)", name, { type: "textarea", rows: 10, value: JSON.stringify(example, null, 2), spellcheck: "false" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save")));
  onSubmit(form, async (v) => {
    let parsed;
    try {
      parsed = JSON.parse(v[name]);
    } catch (e) {
      throw { status: 400, message: "This is not valid JSON.", errors: [{ field: name, message: e.message }] };
    }
    await send(parsed);
  });
  return form;
}

async function calendars(root) {
  const list = h("div");
  const day = [{ start_minute: 540, end_minute: 1020 }];
  const form = jsonForm("New business calendar", "calendar",
    { name: "Office hours", timezone: "Europe/Berlin", week: { mon: day, tue: day, wed: day, thu: day, fri: day }, holidays: [] },
    async (body) => {
      await api("POST", "/sla/calendars", body);
      notice("Calendar created.");
      await load();
    });
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/sla/calendars", undefined, { limit: 100 });
      fill(list, table("Calendars", ["Calendar", "Time zone", "Holidays", ""], page.items.map((c) => h("tr", {},
        h("td", {}, c.name), h("td", {}, c.timezone), h("td", {}, c.holidays.join(", ") || "—"),
        h("td", {}, danger("Delete", async () => {
          await api("DELETE", `/sla/calendars/${c.id}`);
          await load();
        }))))));
    });
  }
  fill(root, form, list);
  await load();
}

async function rules(root) {
  const list = h("div");
  const result = h("div", { "aria-live": "polite", id: "preview-result" });
  const form = jsonForm("New rule", "rule",
    { name: "VPN tickets are high", position: 100, enabled: true, triggers: ["ticket_created"], condition: { type: "text_contains", phrases: ["vpn"] }, actions: [{ type: "set_priority", priority: "high" }] },
    async (body) => {
      await api("POST", "/rules", body);
      notice("Rule created.");
      await load();
    });
  const recent = (await api("GET", "/tickets", undefined, { limit: 25 })).items;
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/rules", undefined, { limit: 100 });
      fill(list, table("Rules", ["Rule", "Triggers", "Dry run", ""], page.items.map((r) => {
        const pick = h("select", { "aria-label": `Ticket to dry-run ${r.name} against` }, recent.map((t) => h("option", { value: t.id }, t.title.slice(0, 60))));
        return h("tr", {},
          h("td", {}, r.name, h("div", { class: "hint" }, `position ${r.position}${r.enabled ? "" : ", disabled"}`)),
          h("td", {}, r.triggers.join(", ")),
          h("td", {}, recent.length ? [pick, " ", danger("Preview", async () => {
            const p = await api("POST", `/rules/${r.id}/preview`, { ticket_id: pick.value });
            fill(result, h("div", { class: "card" }, h("h2", {}, `Dry run of “${r.name}”`),
              h("p", {}, p.matched ? "It would fire." : "It would not fire."),
              p.effects.length ? h("ul", {}, p.effects.map((e) => h("li", {}, JSON.stringify(e)))) : null,
              h("p", { class: "hint" }, `Ticket after: ${p.ticket.status}, ${p.ticket.priority}, ${p.ticket.category}, tags ${p.ticket.tags.join(", ") || "none"}`)));
          })] : h("span", { class: "muted" }, "no ticket to try")),
          h("td", {}, danger("Delete", async () => {
            await api("DELETE", `/rules/${r.id}`);
            await load();
          })));
      })));
    });
  }
  fill(root, form, result, list);
  await load();
}

async function faqs(root) {
  const list = h("div");
  const form = h("form", { class: "card", novalidate: true },
    h("h2", {}, "New FAQ entry"),
    field("Question", "question", { required: true }),
    field("Answer", "answer", { type: "textarea", required: true }),
    field("Tags", "tags", { hint: "Comma-separated" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Add")));
  onSubmit(form, async (v) => {
    await api("POST", "/faqs", { question: v.question, answer: v.answer, tags: v.tags.split(",").map((t) => t.trim()).filter(Boolean) });
    form.reset();
    await load();
  });
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/faqs", undefined, { limit: 100 });
      fill(list, table("FAQ", ["Question", "Answer", ""], page.items.map((f) => h("tr", {},
        h("td", {}, f.question, h("div", { class: "hint" }, f.tags.join(", "))),
        h("td", { class: "body" }, f.answer),
        h("td", {}, danger("Delete", async () => {
          await api("DELETE", `/faqs/${f.id}`);
          await load();
        }))))));
    });
  }
  fill(root, form, list);
  await load();
}

async function deliveries(root) {
  const list = h("div");
  const status = h("select", { id: "delivery-status", "aria-label": "Delivery status" },
    [["", "Any status"], ["pending", "Pending"], ["in_flight", "In flight"], ["delivered", "Delivered"], ["dead", "Dead"]].map(([v, t]) => h("option", { value: v }, t)));
  status.addEventListener("change", () => load());
  async function load() {
    await guarded(list, async () => {
      const page = await api("GET", "/deliveries", undefined, { status: status.value, limit: 100 });
      fill(list, table("Deliveries", ["What", "Channel", "Status", "Attempts", "Last error", ""], page.items.map((d) => h("tr", {},
        h("td", {}, d.kind.replace(/_/g, " "), h("div", { class: "hint" }, when(d.created_at))),
        h("td", {}, d.channel.type, d.channel.url ? h("div", { class: "hint" }, d.channel.url) : d.channel.to ? h("div", { class: "hint" }, d.channel.to) : null),
        h("td", {}, pill(d.status, d.status === "dead" ? "s-breached" : "")),
        h("td", {}, `${d.attempts} / ${d.max_attempts}`),
        h("td", {}, d.last_error || "—"),
        h("td", {}, d.status === "dead" || d.status === "pending" ? danger("Retry", async () => {
          await api("POST", `/deliveries/${d.id}/retry`);
          notice("Queued again.");
          await load();
        }) : null)))));
    });
  }
  // Webhook endpoints: disabled ones (410 Gone, or failing too long) are enabled here,
  // then their dead letters retried above.
  const endpoints = h("div");
  async function loadEndpoints() {
    await guarded(endpoints, async () => {
      const page = await api("GET", "/webhook-endpoints", undefined, { limit: 100 });
      fill(endpoints, table("Webhook endpoints", ["URL", "State", "Failing since", "Last success", "Last error", ""], page.items.map((e) => h("tr", {},
        h("td", {}, e.url),
        h("td", {}, e.enabled ? pill("enabled") : pill("disabled", "s-breached"), e.disabled_reason ? h("div", { class: "hint" }, e.disabled_reason) : null),
        h("td", {}, e.failing_since ? when(e.failing_since) : "—"),
        h("td", {}, e.last_success_at ? when(e.last_success_at) : "—"),
        h("td", {}, e.last_error || "—"),
        h("td", {}, e.enabled ? null : danger("Enable", async () => {
          await api("POST", `/webhook-endpoints/${e.id}/enable`);
          notice("Enabled: retry its dead deliveries to send them.");
          await loadEndpoints();
        }))))));
    });
  }
  fill(root, h("div", { class: "field narrow" }, status), list, endpoints);
  await Promise.all([load(), loadEndpoints()]);
}
