// Benchmark of the agent queue in a real browser: fills a fresh SQLite desk with
// TICKET_BENCH_TICKETS tickets (default 100,000) through the API, then measures in
// chromium the first render of /queue (navigation start to the first page of rows on
// screen) and, for page changes, the time from the API's answer to the rows being
// drawn (the console's own `queue:render` measure). Prints figures; asserts nothing.
//
//   cargo build --release --bin ticket-server
//   TICKET_SERVER_BIN=target/release/ticket-server node bench/queue.js

import { ADMIN, launchBrowser, newPage, signIn, startServer } from "../lib/harness.js";

const TICKETS = Number(process.env.TICKET_BENCH_TICKETS || 100000);
const CONCURRENCY = Number(process.env.TICKET_BENCH_CONCURRENCY || 32);
const ROUNDS = Number(process.env.TICKET_BENCH_ROUNDS || 10);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const server = await startServer();
try {
  const login = await (await fetch(`${server.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ login: ADMIN.email, password: ADMIN.password }),
  })).json();
  const headers = { "Content-Type": "application/json", Authorization: `Bearer ${login.access_token}` };
  const words = ["vpn", "printer", "invoice", "login", "mail", "laptop", "wifi", "refund", "password", "screen"];
  const priorities = ["low", "medium", "high", "critical"];
  let next = 0;
  const started = Date.now();
  async function worker() {
    while (next < TICKETS) {
      const i = next++;
      const r = await fetch(`${server.base}/api/v1/tickets`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          title: `${words[i % 10]} problem number ${i}`,
          description: `The ${words[(i * 7) % 10]} does not work since ${i % 60} minutes.`,
          priority: priorities[i % 4],
          tags: [words[(i * 3) % 10]],
        }),
      });
      if (r.status !== 201) throw new Error(`create: HTTP ${r.status} ${await r.text()}`);
      if (i % 10000 === 0 && i) console.error(`  ${i} tickets (${Math.round(i / ((Date.now() - started) / 1000))}/s)`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`seeded ${TICKETS} tickets in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const browser = await launchBrowser();
  const page = await newPage(browser, server.base);
  await signIn(page, ADMIN.email, ADMIN.password);
  const first = [];
  for (let i = 0; i < ROUNDS; i++) {
    await page.goto("/queue?sort=priority_desc");
    await page.waitForFunction(() => performance.getEntriesByName("queue:rendered").length > 0);
    first.push(await page.evaluate(() => performance.getEntriesByName("queue:rendered")[0].startTime));
  }
  const change = [];
  await page.goto("/queue?status_category=new,open,pending");
  await page.waitForFunction(() => performance.getEntriesByName("queue:rendered").length > 0);
  for (let i = 0; i < ROUNDS * 2; i++) {
    const before = await page.evaluate(() => performance.getEntriesByName("queue:render").length);
    await page.getByRole("button", { name: "Next" }).click();
    await page.waitForFunction((n) => performance.getEntriesByName("queue:render").length > n, before);
    change.push(await page.evaluate(() => performance.getEntriesByName("queue:render").at(-1).duration));
  }
  console.log(`queue first render (navigation start → first page of rows drawn), ${TICKETS} tickets: ${fmt(first)}`);
  console.log(`queue page change (API answer → rows drawn): ${fmt(change)}`);
  await browser.close();
} finally {
  await server.stop();
}
