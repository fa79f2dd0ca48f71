// The web console in a real browser against the real ticket-server: a customer signs up,
// verifies, submits a ticket with an accepted suggestion and sees it listed; an agent in
// another browser context sees it appear live, claims it and replies; the customer sees
// the reply live; an admin creates an SLA policy and the ticket's SLA panel shows it; the
// dashboard's numbers change after a new ticket; axe-core finds no serious violation on
// any screen. Screenshots of each screen go to artifacts/ (git-ignored).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, launchBrowser, newPage, readMailLink, screenshot, seriousViolations, signIn, startServer } from "../lib/harness.js";

let server;
let browser;
const pages = {};
const CUSTOMER = { name: "Carla Customer", email: "carla@example.com", username: "carla", password: "a long customer passphrase" };
const AGENT = { name: "Alex Agent", email: "alex@example.com", username: "alex", password: "a long agent passphrase 7" };
const TITLE = "VPN drops every hour";
const REPLY = "We are looking at the VPN concentrator now.";
let ticketPath;

async function accessible(page, name) {
  await screenshot(page, name);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe on ${name}`);
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const p of Object.values(pages)) assert.deepEqual(p.errors, [], "no script errors");
  await browser?.close();
  await server?.stop();
});

test("the console is served at / and its pages fall back to index.html; the API keeps its 404", async () => {
  for (const p of ["/", "/login", "/queue", "/tickets/5f0c3d7e-0000-4000-8000-000000000000", "/admin/sla"]) {
    const r = await fetch(server.base + p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get("content-type"), /text\/html/);
    assert.match(r.headers.get("content-security-policy"), /script-src 'self'/);
  }
  const js = await fetch(`${server.base}/assets/app.js`);
  assert.match(js.headers.get("content-type"), /javascript/);
  const missing = await fetch(`${server.base}/api/v1/nope`);
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get("content-type"), /problem\+json/);
});

test("an admin signs in and creates an agent account", async () => {
  const page = (pages.admin = await newPage(browser, server.base));
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.waitForURL("**/queue**");
  await page.goto("/admin/users");
  const form = page.locator("#new-user");
  await form.getByLabel("Name", { exact: true }).fill(AGENT.name);
  await form.getByLabel("E-mail", { exact: true }).fill(AGENT.email);
  await form.getByLabel("Username").fill(AGENT.username);
  await form.getByLabel("Password", { exact: true }).fill("short");
  await form.getByLabel("Role").selectOption("agent");
  await form.getByRole("button", { name: "Create" }).click();
  // the API's field error shows under its field, and nothing typed is lost
  await form.locator('[data-error-for="password"]').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await form.getByLabel("E-mail", { exact: true }).inputValue(), AGENT.email);
  await form.getByLabel("Password", { exact: true }).fill(AGENT.password);
  await form.getByRole("button", { name: "Create" }).click();
  await page.getByRole("cell", { name: new RegExp(AGENT.email) }).waitFor();
  await accessible(page, "admin-users");
});

test("a customer signs up and verifies the e-mail address", async () => {
  const page = (pages.customer = await newPage(browser, server.base));
  await page.goto("/signup");
  await accessible(page, "signup");
  await page.getByLabel("Name", { exact: true }).fill(CUSTOMER.name);
  await page.getByLabel("E-mail", { exact: true }).fill(CUSTOMER.email);
  await page.getByLabel("Username").fill(CUSTOMER.username);
  await page.getByLabel("Password", { exact: true }).fill(CUSTOMER.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/my?welcome=1");
  await page.getByText("We sent a verification link").waitFor();
  const link = await readMailLink(server.dataDir, "verify-email");
  const url = new URL(link);
  await page.goto(url.pathname + url.search);
  await page.locator("[data-verified=true]").waitFor();
  assert.equal(new URL(page.url()).search, "", "the token leaves the address bar");
  await screenshot(page, "verify-email");
});

test("an agent signs in and watches the queue", async () => {
  const page = (pages.agent = await newPage(browser, server.base));
  await signIn(page, AGENT.username, AGENT.password);
  await page.waitForURL("**/queue**");
  await page.locator("#queue tbody").waitFor();
  await accessible(page, "queue-empty");
});

test("the customer submits a ticket with the accepted suggestion and sees it listed", async () => {
  const page = pages.customer;
  await page.goto("/my/new");
  await page.getByLabel("Title").fill(TITLE);
  await page.getByLabel("Description").fill("Since this morning the VPN disconnects every hour and I lose my work.");
  const suggestion = page.locator("#suggestion");
  await suggestion.waitFor({ state: "visible" });
  const category = await suggestion.locator('[data-suggested="category"]').textContent();
  const priority = await suggestion.locator('[data-suggested="priority"]').textContent();
  await screenshot(page, "new-ticket");
  assert.deepEqual(await seriousViolations(page), []);
  await page.getByRole("button", { name: "Use these" }).click();
  assert.equal(await page.getByLabel("Category").inputValue(), category);
  assert.equal(await page.getByLabel("Priority").inputValue(), priority);
  await page.getByRole("button", { name: "Submit ticket" }).click();
  await page.waitForURL("**/my/tickets/**");
  ticketPath = new URL(page.url()).pathname.replace("/my", "");
  await page.goto("/my");
  const row = page.locator("tr", { hasText: TITLE });
  await row.waitFor();
  assert.match(await row.textContent(), /new/);
  assert.match(await row.textContent(), new RegExp(priority));
  await accessible(page, "my-tickets");
});

test("the agent sees the ticket appear live, claims it and replies; the customer sees the reply live", async () => {
  const agent = pages.agent;
  // no reload: the queue got it from the realtime feed
  const row = agent.locator("#queue tr", { hasText: TITLE });
  await row.waitFor({ timeout: 10000 });
  await screenshot(agent, "queue-live");
  const customer = pages.customer;
  await customer.goto(`/my${ticketPath}`);
  await customer.locator("#thread").waitFor();
  await row.getByRole("link", { name: TITLE }).click();
  await agent.waitForURL(`**${ticketPath}`);
  await agent.getByRole("button", { name: "Claim" }).click();
  await agent.locator("#ticket-assignee", { hasText: AGENT.name }).waitFor();
  await agent.locator("#reply textarea").fill(REPLY);
  await agent.locator("#reply").getByRole("button", { name: "Send" }).click();
  await agent.locator("#thread li", { hasText: REPLY }).waitFor();
  await customer.locator("#thread li", { hasText: REPLY }).waitFor({ timeout: 10000 });
  await accessible(customer, "customer-ticket");
  await accessible(agent, "agent-ticket");
});

test("an internal note stays internal", async () => {
  const agent = pages.agent;
  await agent.locator("#reply textarea").fill("Customer is on the old client.");
  await agent.locator("#reply-internal").check();
  await agent.locator("#reply").getByRole("button", { name: "Send" }).click();
  await agent.locator("#thread li.internal", { hasText: "old client" }).waitFor();
  await pages.customer.reload();
  await pages.customer.locator("#thread li", { hasText: REPLY }).waitFor();
  assert.equal(await pages.customer.locator("#thread li", { hasText: "old client" }).count(), 0);
});

test("another agent on the same ticket is announced", async () => {
  const admin = pages.admin;
  await admin.goto(ticketPath);
  // the agent typed a note a moment ago, so they may still be "replying"
  await admin.locator("#presence", { hasText: new RegExp(`${AGENT.name} is (viewing|replying) this ticket`) }).waitFor({ timeout: 20000 });
  await screenshot(admin, "presence");
});

test("an admin creates an SLA policy and the ticket's SLA panel shows it", async () => {
  const admin = pages.admin;
  await admin.goto("/admin/sla");
  const form = admin.locator("#new-policy");
  await form.getByLabel("Name", { exact: true }).fill("Standard support");
  await form.getByLabel("First response (minutes)").fill("60");
  await form.getByLabel("Resolution (minutes)").fill("480");
  await form.getByRole("button", { name: "Create policy" }).click();
  await admin.getByRole("cell", { name: /Standard support/ }).waitFor();
  await accessible(admin, "admin-sla");
  const agent = pages.agent;
  await agent.reload();
  await agent.locator("[data-sla-policy]", { hasText: "Standard support" }).waitFor();
  assert.match(await agent.locator("#sla-panel").textContent(), /resolution/);
  await screenshot(agent, "agent-ticket-sla");
});

test("the dashboard's numbers change live after a new ticket", async () => {
  const admin = pages.admin;
  await admin.goto("/dashboard");
  const total = admin.locator("#stat-total");
  await total.waitFor();
  const before = Number(await total.textContent());
  await accessible(admin, "dashboard");
  const customer = pages.customer;
  await customer.goto("/my/new");
  await customer.getByLabel("Title").fill("Invoice shows the wrong address");
  await customer.getByRole("button", { name: "Submit ticket" }).click();
  await customer.waitForURL("**/my/tickets/**");
  await admin.waitForFunction((n) => Number(document.querySelector("#stat-total")?.textContent) === n, before + 1, { timeout: 10000 });
  await screenshot(admin, "dashboard-after");
});

test("the other admin screens and the keyboard sheet pass the accessibility check", async () => {
  const admin = pages.admin;
  for (const s of ["teams", "calendars", "rules", "faqs", "deliveries"]) {
    await admin.goto(`/admin/${s}`);
    await admin.locator("main table, main form").first().waitFor();
    await accessible(admin, `admin-${s}`);
  }
  await admin.goto("/queue");
  await admin.locator("#queue tbody tr").first().waitFor();
  await admin.keyboard.press("?");
  await admin.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await accessible(admin, "shortcuts");
  await admin.keyboard.press("Escape");
  await admin.goto("/notifications");
  await admin.getByRole("heading", { name: "Notifications" }).waitFor();
  await accessible(admin, "notifications");
  await pages.customer.goto("/profile");
  await pages.customer.getByRole("heading", { name: "Your account" }).waitFor();
  await accessible(pages.customer, "profile");
});

test("on a phone the queue and the ticket page fit the screen", async () => {
  const phone = (pages.phone = await newPage(browser, server.base, { viewport: { width: 390, height: 844 }, isMobile: true }));
  await signIn(phone, AGENT.username, AGENT.password);
  await phone.locator("#queue tbody tr").first().waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the queue is ${overflow}px wider than the phone`);
  await accessible(phone, "phone-queue");
  await phone.goto(ticketPath);
  await phone.locator("#thread").waitFor();
  await screenshot(phone, "phone-ticket");
});

test("bulk actions change the selected rows and a saved view comes back after a reload", async () => {
  const agent = pages.agent;
  await agent.goto("/queue");
  await agent.locator("#queue tbody tr[data-ticket]").nth(1).waitFor();
  await agent.getByLabel("Select every ticket on this page").check();
  await agent.getByLabel("Bulk action", { exact: true }).selectOption("priority");
  await agent.getByLabel("Value", { exact: true }).selectOption("high");
  await agent.getByRole("button", { name: "Apply" }).click();
  await agent.getByText("2 tickets changed.").waitFor();
  await agent.getByLabel("Priority", { exact: true }).selectOption("high,critical");
  await agent.waitForURL(/priority=high%2Ccritical/);
  await agent.locator("#queue tbody tr[data-ticket]").nth(1).waitFor();
  await agent.getByLabel("Name of the view to save").fill("Urgent");
  await agent.getByRole("button", { name: "Save view" }).click();
  await agent.getByText("View “Urgent” saved.").waitFor();
  await agent.goto("/queue");
  await agent.getByLabel("Saved views").selectOption({ label: "Urgent" });
  await agent.waitForURL(/priority=high%2Ccritical/);
  assert.equal(await agent.getByLabel("Priority", { exact: true }).inputValue(), "high,critical");
  // Kept with the account (`/me/views`): another browser of the same agent has it too.
  const other = await newPage(browser, server.base);
  await signIn(other, AGENT.username, AGENT.password);
  await other.goto("/queue");
  await other.getByLabel("Saved views").selectOption({ label: "Urgent" });
  await other.waitForURL(/priority=high%2Ccritical/);
  await other.context().close();
});

test("the dark theme follows the system", async () => {
  const dark = (pages.dark = await newPage(browser, server.base, { colorScheme: "dark" }));
  await signIn(dark, AGENT.username, AGENT.password);
  await dark.locator("#queue tbody tr").first().waitFor();
  const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(20, 24, 28)");
  await accessible(dark, "dark-queue");
  await dark.goto(ticketPath);
  await dark.locator("#thread li.internal").waitFor();
  await accessible(dark, "dark-ticket");
});

test("a wrong current password is shown under its field and the form keeps its input", async () => {
  const customer = pages.customer;
  await customer.goto("/profile");
  await customer.getByLabel("Current password").fill("not my password at all");
  await customer.getByLabel("New password").fill("another long passphrase");
  await customer.getByRole("button", { name: "Change password" }).click();
  await customer.locator('[data-error-for="current_password"]', { hasText: "not the current password" }).waitFor();
  assert.equal(await customer.getByLabel("New password").inputValue(), "another long passphrase");
  await screenshot(customer, "profile-error");
});

test("the customer resolves and reopens their ticket", async () => {
  const customer = pages.customer;
  await customer.goto(`/my${ticketPath}`);
  await customer.getByRole("button", { name: "Mark as resolved" }).click();
  await customer.locator("#ticket-status", { hasText: "resolved" }).waitFor();
  await customer.getByRole("button", { name: "Reopen" }).click();
  await customer.locator("#ticket-status", { hasText: "open" }).waitFor();
});

test("forgot and reset password: a neutral answer, a bad link's error shown without the token in the address, and the mailed link resets it", async () => {
  const page = await newPage(browser, server.base);
  await page.goto("/forgot-password");
  await page.getByLabel("E-mail").fill(CUSTOMER.email);
  await page.getByRole("button", { name: "Send me a reset link" }).click();
  await page.getByText("If an account has this address").waitFor();
  await accessible(page, "forgot-password");
  await page.goto("/reset-password?token=not-a-real-token");
  assert.equal(new URL(page.url()).search, "", "the token leaves the address bar");
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set password" }).click();
  await page.locator(".form-error").filter({ hasText: /\S/ }).first().waitFor();
  await accessible(page, "reset-password");
  // The link the server mailed (an .eml file in its data dir) sets the new password.
  const link = new URL(await readMailLink(server.dataDir, "reset-password"));
  await page.goto(link.pathname + link.search);
  assert.equal(new URL(page.url()).search, "", "the token leaves the address bar");
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByText("Your password is changed").waitFor();
  // The reset ended every session of the account: the customer's own browser signs in
  // again with the new password (the sign-out test below uses it).
  await signIn(pages.customer, CUSTOMER.email, "a brand new passphrase");
  await pages.customer.waitForURL("**/my**");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a customer deletes their account and can no longer sign in", async () => {
  const page = await newPage(browser, server.base);
  const who = { name: "Dora Leaving", email: "dora@example.com", username: "dora", password: "a long farewell passphrase" };
  await page.goto("/signup");
  await page.getByLabel("Name", { exact: true }).fill(who.name);
  await page.getByLabel("E-mail", { exact: true }).fill(who.email);
  await page.getByLabel("Username", { exact: true }).fill(who.username);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/my?welcome=1");
  await page.goto("/profile");
  await page.getByRole("button", { name: "Delete my account" }).click();
  await page.locator('[data-error-for="confirm"]', { hasText: /\S/ }).waitFor();
  await page.getByLabel("I understand this cannot be undone").check();
  await page.getByRole("button", { name: "Delete my account" }).click();
  await page.waitForURL("**/login");
  await page.getByLabel("E-mail or username").fill(who.username);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".form-error").filter({ hasText: /\S/ }).first().waitFor();
  assert.match(new URL(page.url()).pathname, /^\/login/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("signing out revokes the session", async () => {
  const customer = pages.customer;
  await customer.goto("/my");
  await customer.getByRole("button", { name: "Sign out" }).click();
  await customer.waitForURL("**/login");
  await customer.goto("/my");
  await customer.waitForURL("**/login");
  await accessible(customer, "login");
});
