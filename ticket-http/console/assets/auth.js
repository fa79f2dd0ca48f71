// Signing in and out of accounts: sign in, sign up, e-mail verification, forgotten and
// reset passwords. Tokens from e-mail links are taken out of the address bar at once.

import { anonymous, login as signIn } from "./api.js";
import { field, fill, h, onSubmit } from "./ui.js";

/** Takes `?token=` out of the address (so it stays out of history) and returns it. */
function takeToken() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token !== null) history.replaceState(null, "", location.pathname);
  return token;
}

/** The sign-in screen. */
export function login(root, _params, ctx) {
  const form = h("form", { class: "card narrow", novalidate: true },
    field("E-mail or username", "login", { autocomplete: "username", required: true }),
    field("Password", "password", { type: "password", autocomplete: "current-password", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
    h("p", {}, h("a", { href: "/forgot-password" }, "Forgot your password?"), " · ",
      h("a", { href: "/signup" }, "Create an account")));
  onSubmit(form, async (v) => {
    await signIn(v.login.trim(), v.password);
    ctx.afterLogin();
  });
  fill(root, h("h1", {}, "Sign in"), form);
  form.querySelector("input").focus();
}

/** The sign-up screen: registers, then signs in; the verification link comes by e-mail. */
export function signup(root, _params, ctx) {
  const form = h("form", { class: "card narrow", novalidate: true },
    field("Name", "name", { autocomplete: "name", required: true }),
    field("E-mail", "email", { type: "email", autocomplete: "email", required: true }),
    field("Username", "username", { autocomplete: "username", required: true, hint: "3–40 characters: a-z, 0-9, _ and -" }),
    field("Password", "password", { type: "password", autocomplete: "new-password", required: true, hint: "At least 10 characters, not containing your username or e-mail name" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create account")),
    h("p", {}, "Already registered? ", h("a", { href: "/login" }, "Sign in")));
  onSubmit(form, async (v) => {
    await anonymous("POST", "/auth/register", { name: v.name, email: v.email.trim(), username: v.username.trim(), password: v.password });
    await signIn(v.email.trim(), v.password);
    sessionStorage.setItem("ticket.after-login", "/my?welcome=1");
    ctx.afterLogin();
  });
  fill(root, h("h1", {}, "Create an account"), form);
  form.querySelector("input").focus();
}

/** The page of the verification link: posts its token to the API. */
export async function verifyEmail(root) {
  const token = takeToken();
  const status = h("p", { role: "status" }, "Verifying your e-mail address…");
  fill(root, h("h1", {}, "E-mail verification"), status);
  if (!token) {
    status.textContent = "This link has no token. Open the link from your e-mail again, or ask for a new one on your profile page.";
    return;
  }
  try {
    await anonymous("POST", "/auth/verify-email", { token });
    fill(status, "Your e-mail address is verified. ", h("a", { href: "/" }, "Continue"));
    status.dataset.verified = "true";
  } catch (e) {
    status.className = "form-error";
    fill(status, `This link cannot be used: ${e.message} You can ask for a new one on your `, h("a", { href: "/profile" }, "profile page"), ".");
  }
}

/** Asks for a password reset link. */
export function forgotPassword(root) {
  const done = h("p", { role: "status" });
  const form = h("form", { class: "card narrow", novalidate: true },
    field("E-mail", "email", { type: "email", autocomplete: "email", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send me a reset link")));
  onSubmit(form, async (v) => {
    await anonymous("POST", "/auth/forgot-password", { email: v.email.trim() });
    done.textContent = "If an account has this address, a reset link is on its way.";
  });
  fill(root, h("h1", {}, "Forgot your password?"), form, done);
}

/** The page of the reset link: sets a new password with its token. */
export function resetPassword(root) {
  const token = takeToken() ?? sessionStorage.getItem("ticket.reset-token");
  if (token) sessionStorage.setItem("ticket.reset-token", token); // survives a reload, not the tab
  const done = h("p", { role: "status" });
  const form = h("form", { class: "card narrow", novalidate: true },
    field("New password", "password", { type: "password", autocomplete: "new-password", required: true }),
    h("p", { "data-error-for": "token", class: "field-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Set password")));
  onSubmit(form, async (v) => {
    try {
      await anonymous("POST", "/auth/reset-password", { token: token || "", password: v.password });
    } catch (e) {
      // Say which thing is wrong: the link, not a field the person can see.
      for (const fe of e.errors || []) {
        if (fe.field === "token") fe.message = `This reset link ${fe.message}: ask for a new one with “Forgot your password?”.`;
      }
      throw e;
    }
    sessionStorage.removeItem("ticket.reset-token");
    form.remove();
    fill(done, "Your password is changed and every session was signed out. ", h("a", { href: "/login" }, "Sign in"));
  });
  fill(root, h("h1", {}, "Choose a new password"), token ? form : h("p", {}, "This link has no token: ask for a new one with ", h("a", { href: "/forgot-password" }, "Forgot your password?"), "."), done);
}
