// The harness of the browser tests: the real ticket-server binary on a free loopback
// port with its own temporary data directory and a super-admin, Debian's chromium driven
// by playwright-core, the accessibility check (axe-core), screenshots, and the mails the
// server writes to `{data dir}/mail/` when no SMTP server is configured.

import { spawn } from "node:child_process";
import { mkdtemp, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const require = createRequire(import.meta.url);
const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

export const ADMIN = { email: "admin@example.com", password: "console root passphrase 42" };
export const ARTIFACTS = path.join(here, "..", "artifacts");

/** The server binary `cargo test` built (TICKET_SERVER_BIN overrides). */
export function serverBinary() {
  if (process.env.TICKET_SERVER_BIN) return process.env.TICKET_SERVER_BIN;
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");
  return path.join(target, "debug", "ticket-server");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts ticket-server; resolves when /readyz answers 200. */
export async function startServer() {
  const bin = serverBinary();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run cargo test (or cargo build --bin ticket-server) first`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "ticket-console-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, [], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      TICKET_BIND: `127.0.0.1:${port}`,
      TICKET_DATA_DIR: dataDir,
      TICKET_PUBLIC_URL: base,
      TICKET_ADMIN_EMAIL: ADMIN.email,
      TICKET_ADMIN_PASSWORD: ADMIN.password,
      TICKET_HASH_COST: "testing",
      TICKET_AUTH_RATE_BURST: "0",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log = (log + d).slice(-20000)));
  child.stderr.on("data", (d) => (log = (log + d).slice(-20000)));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ticket-server exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`ticket-server did not become ready:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    dataDir,
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A page in a fresh context (its own session); console errors are collected. */
export async function newPage(browser, base, options = {}) {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

/** Saves a screenshot of the page as artifacts/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Runs axe-core on the page (WCAG 2 A/AA rules) and returns the serious and critical
 * violations, each as "rule: target…".
 */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, resultTypes: ["violations"] }));
  if (!result.passes.length) throw new Error("axe-core checked nothing on this page");
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}

/**
 * The first link to `/{kind}?token=…` in a mail the server wrote under
 * `{dataDir}/mail/` (and was not returned before), polling up to `timeoutMs`.
 */
const seen = new Set();
export async function readMailLink(dataDir, kind, timeoutMs = 15000) {
  const dir = path.join(dataDir, "mail");
  const start = Date.now();
  for (;;) {
    if (existsSync(dir)) {
      for (const f of (await readdir(dir)).sort()) {
        const file = path.join(dir, f);
        if (seen.has(file)) continue;
        const text = (await readFile(file, "utf8")).replace(/=\r?\n/g, "");
        const m = text.match(new RegExp(`https?://\\S+/${kind}\\?token=[^\\s"<>]+`));
        if (m) {
          seen.add(file);
          return m[0].replace(/=3D/g, "=");
        }
      }
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no ${kind} mail in ${dir} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Signs in through the console's sign-in screen. */
export async function signIn(page, login, password) {
  await page.goto("/login");
  await page.getByLabel("E-mail or username").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}
