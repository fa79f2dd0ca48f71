// The API client and the session. The access token lives only in memory; the rotating
// refresh token in this tab's sessionStorage (so a reload keeps the session, another tab
// does not share it, and no token ever goes into a URL). The access token is refreshed
// before it expires; logout revokes the session on the server.

const BASE = "/api/v1";
const REFRESH_KEY = "ticket.refresh";

/** An error answered by the API (a problem document) or by the network. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "error";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

const session = { access: null, user: null, timer: null, refreshing: null };
const listeners = new Set();

/** Calls `fn(user|null)` whenever the signed-in user changes. */
export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn(session.user);
}

/** The signed-in user, or null. */
export function currentUser() {
  return session.user;
}

/** The current access token (for the realtime feed), or null. */
export function accessToken() {
  return session.access;
}

function adopt(tokens) {
  session.access = tokens.access_token;
  session.user = tokens.user;
  sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
  clearTimeout(session.timer);
  // Refresh at 80% of the lifetime (never sooner than 5 s).
  const ms = Math.max(5, tokens.expires_in * 0.8) * 1000;
  session.timer = setTimeout(() => refresh().catch(() => {}), ms);
  changed();
}

function forget() {
  clearTimeout(session.timer);
  session.access = null;
  session.user = null;
  sessionStorage.removeItem(REFRESH_KEY);
  changed();
}

async function send(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, { code: "network", detail: "The server cannot be reached. Check your connection and try again." });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, data || {});
  return data;
}

/** Exchanges the stored refresh token for a new session (one at a time). */
export function refresh() {
  if (session.refreshing) return session.refreshing;
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return Promise.resolve(false);
  session.refreshing = send("POST", "/auth/refresh", { refresh_token: token })
    .then((t) => {
      adopt(t);
      return true;
    })
    .catch((e) => {
      if (e.status === 401 || e.status === 422 || e.status === 400) forget();
      throw e;
    })
    .finally(() => {
      session.refreshing = null;
    });
  return session.refreshing;
}

/** Restores the tab's session after a reload; resolves to the user or null. */
export async function restore() {
  try {
    await refresh();
  } catch {
    /* signed out */
  }
  return session.user;
}

/** Signs in; throws an ApiError on bad credentials. */
export async function login(loginName, password) {
  adopt(await send("POST", "/auth/login", { login: loginName, password }));
  return session.user;
}

/** Signs out: revokes the session's refresh tokens, then forgets them here. */
export async function logout() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  try {
    if (token) await send("POST", "/auth/logout", { refresh_token: token });
  } finally {
    forget();
  }
}

/** Ends the session here only (after the account was deleted). */
export function dropSession() {
  forget();
}

/** Replaces the cached user after a profile change. */
export function setUser(user) {
  session.user = user;
  changed();
}

/**
 * Calls the API as the signed-in user; on 401 refreshes once and retries.
 * `path` is relative to /api/v1; `query` values that are empty are left out.
 */
export async function api(method, path, body, query) {
  const qs = query ? toQuery(query) : "";
  const full = qs ? `${path}?${qs}` : path;
  try {
    return await send(method, full, body, session.access);
  } catch (e) {
    if (e.status !== 401 || !sessionStorage.getItem(REFRESH_KEY)) throw e;
    await refresh();
    return send(method, full, body, session.access);
  }
}

/** A query string of the non-empty values of `params`. */
export function toQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  return q.toString();
}

/** Calls the API without a session (registration, password reset…). */
export function anonymous(method, path, body) {
  return send(method, path, body, null);
}

/** Whether the user is staff (agent, admin, super-admin). */
export function isStaff(user) {
  return !!user && user.role !== "customer";
}

/** Whether the user administers the desk. */
export function isAdmin(user) {
  return !!user && (user.role === "admin" || user.role === "superadmin");
}
