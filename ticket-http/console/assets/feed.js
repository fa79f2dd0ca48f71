// The realtime feed: the API's server-sent events (`GET /api/v1/events/sse`) read with
// fetch, so the access token travels in the Authorization header, never in the URL.
// One feed per tab; screens subscribe to it. When the stream ends (token expiry, server
// restart, network) it reconnects with the current token after a short back-off.

import { accessToken, refresh } from "./api.js";

const handlers = new Set();
let running = null;
let stopped = true;

/** Calls `fn(event)` for each ticket event the user may see; returns an unsubscribe. */
export function subscribe(fn) {
  handlers.add(fn);
  return () => handlers.delete(fn);
}

function dispatch(data) {
  let event;
  try {
    event = JSON.parse(data);
  } catch {
    return;
  }
  for (const fn of handlers) {
    try {
      fn(event);
    } catch (e) {
      console.error(e);
    }
  }
}

async function readStream(controller) {
  const token = accessToken();
  if (!token) return;
  const res = await fetch("/api/v1/events/sse", {
    headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}` },
    signal: controller.signal,
    cache: "no-store",
  });
  if (res.status === 401) {
    await refresh();
    return;
  }
  if (!res.ok || !res.body) throw new Error(`feed: HTTP ${res.status}`);
  feedState(true);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) dispatch(data);
    }
    if (buffer.length > 1_000_000) buffer = ""; // a runaway message: drop it
  }
}

const stateListeners = new Set();
let connected = false;
function feedState(on) {
  connected = on;
  for (const fn of stateListeners) fn(on);
}

/** Calls `fn(connected)` when the feed connects or drops. */
export function onFeedState(fn) {
  stateListeners.add(fn);
  fn(connected);
  return () => stateListeners.delete(fn);
}

/** Starts the feed (idempotent). */
export function start() {
  if (running) return;
  stopped = false;
  const controller = new AbortController();
  running = controller;
  (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        await readStream(controller);
        delay = 500;
      } catch {
        if (stopped) break;
        delay = Math.min(delay * 2, 15000);
      }
      feedState(false);
      if (stopped) break;
      await new Promise((r) => setTimeout(r, delay));
    }
  })();
}

/** Stops the feed (on sign-out). */
export function stop() {
  stopped = true;
  if (running) running.abort();
  running = null;
  feedState(false);
}
