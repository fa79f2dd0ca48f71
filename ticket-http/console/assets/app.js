// The console's shell: the router (history API), the header (navigation by role, unread
// notifications, availability, sign-out), keyboard shortcuts and the notifications page.
// Each screen module exports functions `(main, params, ctx) => cleanup?`.

import { api, currentUser, isAdmin, isStaff, logout, onSession, restore, setUser } from "./api.js";
import * as feed from "./feed.js";
import { debounce, fill, h, loading, failed, notice, when } from "./ui.js";
import * as auth from "./auth.js";
import * as portal from "./portal.js";
import * as queue from "./queue.js";
import * as ticket from "./ticket.js";
import * as admin from "./admin.js";
import * as dashboard from "./dashboard.js";

/** [pattern, screen, who may see it: "anon" | "any" | "customer" | "staff" | "admin"] */
const ROUTES = [
  ["/login", auth.login, "anon"],
  ["/signup", auth.signup, "anon"],
  ["/verify-email", auth.verifyEmail, "open"],
  ["/forgot-password", auth.forgotPassword, "anon"],
  ["/reset-password", auth.resetPassword, "open"],
  ["/profile", portal.profile, "any"],
  ["/my", portal.myTickets, "any"],
  ["/my/new", portal.newTicket, "any"],
  ["/my/tickets/:id", portal.myTicket, "any"],
  ["/queue", queue.queue, "staff"],
  ["/tickets/:id", ticket.ticketPage, "staff"],
  ["/notifications", notifications, "any"],
  ["/dashboard", dashboard.dashboard, "staff"],
  ["/admin", admin.admin, "admin"],
  ["/admin/:section", admin.admin, "admin"],
];

const main = document.getElementById("main");
let cleanup = null;
const shortcuts = new Map();

function match(path) {
  for (const [pattern, screen, who] of ROUTES) {
    const names = [];
    const re = new RegExp(`^${pattern.replace(/:([a-z]+)/g, (_, n) => (names.push(n), "([^/]+)"))}/?$`);
    const m = path.match(re);
    if (m) return { screen, who, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

function home(user) {
  if (!user) return "/login";
  return isStaff(user) ? "/queue" : "/my";
}

/** Goes to `path` (pushes history unless `replace`). */
export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

/** Registers a keyboard shortcut for the current screen (cleared on navigation). */
export function shortcut(key, description, fn) {
  shortcuts.set(key, { description, fn, screen: true });
}

async function render() {
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      console.error(e);
    }
    cleanup = null;
  }
  for (const [k, v] of shortcuts) if (v.screen) shortcuts.delete(k);
  notice("");
  const user = currentUser();
  const route = match(location.pathname);
  if (!route || location.pathname === "/") return navigate(home(user), true);
  if (route.who === "anon" && user) return navigate(home(user), true);
  if (!["anon", "open"].includes(route.who) && !user) {
    sessionStorage.setItem("ticket.after-login", location.pathname + location.search);
    return navigate("/login", true);
  }
  if (route.who === "staff" && !isStaff(user)) return navigate(home(user), true);
  if (route.who === "admin" && !isAdmin(user)) return navigate(home(user), true);
  header(user);
  fill(main, loading());
  main.focus({ preventScroll: true });
  try {
    const c = await route.screen(main, route.params, { navigate, shortcut, afterLogin });
    cleanup = typeof c === "function" ? c : null;
  } catch (e) {
    console.error(e);
    fill(main, failed(e));
  }
}

function link(href, text, extra) {
  const current = location.pathname === href || (href !== "/" && location.pathname.startsWith(`${href}/`));
  return h("a", { href, "aria-current": current ? "page" : undefined, ...extra }, text);
}

const badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
const badgeText = h("span", { class: "visually-hidden" });

const refreshUnread = debounce(async () => {
  if (!currentUser()) return;
  try {
    const { count } = await api("GET", "/notifications/unread-count");
    badge.textContent = String(count);
    badge.hidden = count === 0;
    badgeText.textContent = count ? `, ${count} unread` : "";
  } catch {
    /* the badge waits for the next event */
  }
}, 300);

function header(user) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  if (!user) {
    fill(nav, link("/login", "Sign in"), link("/signup", "Sign up"));
    fill(who);
    return;
  }
  const items = [];
  if (isStaff(user)) items.push(link("/queue", "Queue"), link("/dashboard", "Dashboard"));
  items.push(link("/my", isStaff(user) ? "My requests" : "My tickets"), link("/my/new", "New ticket"));
  if (isAdmin(user)) items.push(link("/admin", "Admin"));
  items.push(link("/notifications", ["Notifications", badgeText, " ", badge]));
  fill(nav, items);
  const parts = [link("/profile", user.name, { title: `${user.email} (${user.role})` })];
  if (isStaff(user)) {
    const sel = h("select", { "aria-label": "My availability", id: "availability" },
      ["online", "away", "offline"].map((a) => h("option", { value: a, selected: user.agent?.availability === a || undefined }, a)));
    sel.addEventListener("change", async () => {
      try {
        setUser(await api("PUT", `/users/${user.id}/availability`, { availability: sel.value }));
        notice(`You are ${sel.value}.`);
      } catch (e) {
        notice(`Availability not changed: ${e.message}`, "error");
      }
    });
    parts.push(sel);
  }
  parts.push(h("button", { class: "secondary", type: "button", onclick: signOut }, "Sign out"));
  fill(who, parts);
  refreshUnread();
}

async function signOut() {
  feed.stop();
  try {
    await logout();
  } catch {
    /* the local session is gone either way */
  }
  sessionStorage.removeItem("ticket.after-login"); // the next person starts at their home
  navigate("/login", true);
}

async function notifications(root) {
  const list = h("ul", { class: "thread" });
  const markAll = h("button", { type: "button", class: "secondary" }, "Mark all as read");
  fill(root, h("h1", {}, "Notifications"), h("div", { class: "actions" }, markAll), list);
  async function load() {
    try {
      const page = await api("GET", "/notifications", undefined, { limit: 50 });
      fill(list, page.items.length ? page.items.map((n) => h("li", { class: n.read_at ? "" : "internal" },
        h("div", { class: "meta" }, when(n.created_at), " · ", n.kind.replace(/_/g, " "), n.read_at ? "" : " · unread"),
        h("div", {}, n.ticket_id ? h("a", { href: isStaff(currentUser()) ? `/tickets/${n.ticket_id}` : `/my/tickets/${n.ticket_id}` }, n.message) : n.message),
        n.read_at ? null : h("button", { type: "button", class: "secondary", onclick: async () => { await api("POST", `/notifications/${n.id}/read`); load(); refreshUnread(); } }, "Mark as read"),
      )) : h("li", { class: "muted" }, "No notifications."));
    } catch (e) {
      fill(list, failed(e));
    }
  }
  markAll.addEventListener("click", async () => {
    await api("POST", "/notifications/read-all");
    load();
    refreshUnread();
  });
  await load();
}

function shortcutSheet() {
  const global = [
    ["?", "this sheet"],
    ["g q", "go to the queue"],
    ["g d", "go to the dashboard"],
    ["g n", "new ticket"],
    ["g m", "my tickets"],
  ];
  const screen = [...shortcuts].filter(([, v]) => v.screen).map(([k, v]) => [k, v.description]);
  const dialog = h("dialog", { "aria-labelledby": "kbd-title" },
    h("h2", { id: "kbd-title" }, "Keyboard shortcuts"),
    h("dl", { class: "kv" }, [...global, ...screen].map(([k, d]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, d)])),
    h("form", { method: "dialog" }, h("button", {}, "Close")));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

let pendingG = false;
document.addEventListener("keydown", (ev) => {
  const t = ev.target;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
  if (document.querySelector("dialog[open]")) return;
  const user = currentUser();
  if (pendingG) {
    pendingG = false;
    const to = { q: "/queue", d: "/dashboard", n: "/my/new", m: "/my" }[ev.key];
    if (to && user) {
      ev.preventDefault();
      navigate(to);
    }
    return;
  }
  if (ev.key === "?") {
    ev.preventDefault();
    shortcutSheet();
  } else if (ev.key === "g") {
    pendingG = true;
    setTimeout(() => (pendingG = false), 1200);
  } else if (shortcuts.has(ev.key)) {
    ev.preventDefault();
    shortcuts.get(ev.key).fn(ev);
  }
});

document.addEventListener("click", (ev) => {
  const a = ev.target instanceof Element ? ev.target.closest("a[href]") : null;
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api") || !match(url.pathname)) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener("popstate", render);

feed.subscribe(() => refreshUnread());
onSession((user) => {
  if (user) {
    feed.start();
    return;
  }
  feed.stop();
  // The session ended under us (refresh refused, password changed elsewhere): sign in again.
  const route = match(location.pathname);
  if (route && !["anon", "open"].includes(route.who)) {
    sessionStorage.setItem("ticket.after-login", location.pathname + location.search);
    navigate("/login", true);
  }
});

/** Where to go after signing in: the page that asked for it, else the role's home. */
export function afterLogin() {
  const next = sessionStorage.getItem("ticket.after-login");
  sessionStorage.removeItem("ticket.after-login");
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : home(currentUser()), true);
}

restore().then(render);
