// Small DOM helpers shared by every screen: element building, forms that show the API's
// field errors under their fields, notices, formatting.

/** Builds an element: `h("button", {class: "x", onclick: f}, "text", child…)`. */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith("svg:");
  const node = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "value" && !svg) {
      if (node.tagName !== "SELECT") node.defaultValue = v; // what form.reset() returns to
      node.value = v;
    }
    else if (k === "checked") node.checked = !!v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let fieldSeq = 0;

/**
 * A labelled field: `field("Title", "title", {type: "text", required: true})`.
 * `opts.options` (pairs or strings) makes a select, `opts.type === "textarea"` a textarea.
 */
export function field(label, name, opts = {}) {
  const id = `f-${name.replace(/[^a-z0-9_-]/gi, "-")}-${++fieldSeq}`;
  const { options, hint, type = "text", ...rest } = opts;
  let control;
  if (options) {
    control = h("select", { id, name, ...rest },
      options.map((o) => {
        const [v, text] = Array.isArray(o) ? o : [o, o];
        return h("option", { value: v, selected: String(rest.value ?? "") === String(v) || undefined }, text);
      }));
  } else if (type === "textarea") {
    control = h("textarea", { id, name, ...rest });
  } else {
    control = h("input", { id, name, type, ...rest });
  }
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("span", { class: "hint", id: hintId }, hint) : null,
    h("span", { class: "field-error", id: errId, "data-error-for": name }));
}

/** Clears the errors shown in `form`. */
export function clearErrors(form) {
  for (const e of form.querySelectorAll("[data-error-for]")) e.textContent = "";
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  const top = form.querySelector(".form-error");
  if (top) top.textContent = "";
}

/**
 * Shows an ApiError in `form`: each field error under its field (by the field's wire
 * name, or its first segment: `targets.resolution_minutes` → `resolution_minutes`), the
 * rest at the top of the form. Focuses the first invalid control.
 */
export function showErrors(form, err) {
  clearErrors(form);
  let top = form.querySelector(".form-error");
  if (!top) {
    top = h("p", { class: "form-error", role: "alert" });
    form.prepend(top);
  }
  const loose = [];
  let first = null;
  for (const fe of err.errors || []) {
    const names = [fe.field, fe.field.split(".").pop(), fe.field.split(/[.[]/)[0]];
    const slot = names.map((n) => form.querySelector(`[data-error-for="${CSS.escape(n)}"]`)).find(Boolean);
    if (slot) {
      slot.textContent = fe.message;
      const control = form.querySelector(`[name="${CSS.escape(slot.dataset.errorFor)}"]`);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    } else {
      loose.push(`${fe.field}: ${fe.message}`);
    }
  }
  const summary = err.errors && err.errors.length ? "Please correct the fields marked below." : err.message;
  top.textContent = [summary, ...loose].join(" ");
  (first || top).focus?.();
}

/**
 * Wires a form: on submit, disables its buttons, runs `action(values)`, shows errors in
 * place (the inputs keep what was typed) and re-enables.
 */
export function onSubmit(form, action) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    try {
      await action(values(form));
    } catch (e) {
      if (e && e.status !== undefined) showErrors(form, e);
      else {
        console.error(e);
        showErrors(form, { message: String(e && e.message ? e.message : e), errors: [] });
      }
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return form;
}

/** The form's values by name (checkboxes as booleans). */
export function values(form) {
  const out = {};
  for (const c of form.elements) {
    if (!c.name) continue;
    out[c.name] = c.type === "checkbox" ? c.checked : c.value;
  }
  return out;
}

/** Shows a page-level notice (or clears it with no text). */
export function notice(text, kind) {
  const n = document.getElementById("notice");
  n.textContent = text || "";
  n.className = `notice${kind ? ` ${kind}` : ""}`;
}

/** A date and time in the user's locale. */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "in 3 h" / "5 min ago". */
export function relative(iso) {
  if (!iso) return "";
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const abs = Math.abs(s);
  const [n, unit] = abs < 90 ? [abs, "s"] : abs < 5400 ? [Math.round(abs / 60), "min"] : abs < 172800 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86400), "d"];
  return s >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

/** A status or priority pill. */
export function pill(text, cls) {
  return h("span", { class: `pill ${cls || ""}` }, String(text).replace(/_/g, " "));
}

/** The priority pill of a ticket. */
export function priorityPill(p) {
  return pill(p, `p-${p}`);
}

/** The SLA summary of a ticket's snapshot. */
export function slaPill(sla) {
  if (!sla) return h("span", { class: "muted" }, "—");
  if (sla.breached) return h("span", { class: "s-breached" }, "breached");
  if (sla.at_risk) return h("span", { class: "s-risk" }, "at risk");
  const due = sla.first_response_due || sla.next_response_due || sla.resolution_due;
  return h("span", { class: "s-ok" }, due ? `due ${relative(due)}` : "on track");
}

/** The options of the priority selects. */
export const PRIORITIES = ["low", "medium", "high", "critical"];

/** Default categories (a desk may have its own: they are free text). */
export const CATEGORIES = ["general", "billing", "technical", "account"];

/** Debounces `fn` by `ms`. */
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** A "Loading…" paragraph. */
export function loading() {
  return h("p", { class: "muted", role: "status" }, "Loading…");
}

/** An error paragraph for a failed load. */
export function failed(e) {
  return h("p", { class: "form-error", role: "alert" }, `Could not load: ${e.message}`);
}
