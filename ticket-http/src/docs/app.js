// The API documentation page: renders the OpenAPI document served at /api/openapi.json
// with plain DOM calls (no framework, nothing fetched from elsewhere) and lets a reader
// try each operation against this server.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function resolve(doc, schema) {
  let s = schema || {};
  const seen = new Set();
  while (s.$ref && !seen.has(s.$ref)) {
    seen.add(s.$ref);
    const name = s.$ref.split("/").pop();
    s = Object.assign({ title: name }, doc.components.schemas[name] || {});
  }
  return s;
}

function typeLabel(doc, schema) {
  const s = resolve(doc, schema);
  if (schema && schema.$ref) return schema.$ref.split("/").pop();
  let t = Array.isArray(s.type) ? s.type.join(" | ") : s.type || "";
  if (s.format) t += ` (${s.format})`;
  if (s.enum) t += ": " + s.enum.map((e) => JSON.stringify(e)).join(" | ");
  if (s.type === "array" || (Array.isArray(s.type) && s.type.includes("array"))) {
    t = `array of ${typeLabel(doc, s.items)}` + (Array.isArray(s.type) && s.type.includes("null") ? " | null" : "");
  }
  if (s.minimum !== undefined || s.maximum !== undefined) t += ` [${s.minimum ?? ""}…${s.maximum ?? ""}]`;
  return t || (s.oneOf ? "one of" : s.allOf ? "all of" : "any");
}

function schemaTree(doc, schema, depth) {
  const s = resolve(doc, schema);
  if (depth > 6) return el("div", { class: "schema muted" }, "…");
  const box = el("div", { class: "schema" });
  if (s.description && depth === 0) box.append(el("div", { class: "muted" }, s.description));
  for (const variant of s.oneOf || []) {
    const v = resolve(doc, variant);
    if (v.type === "null") { box.append(el("div", { class: "type" }, "or null")); continue; }
    const tag = v.properties && v.properties.type && v.properties.type.enum;
    box.append(el("div", {}, el("b", {}, tag ? `type = "${tag[0]}"` : typeLabel(doc, variant)),
      v.description ? el("span", { class: "muted" }, " — " + v.description) : ""));
    if (v.properties) box.append(schemaTree(doc, variant, depth + 1));
  }
  for (const part of s.allOf || []) box.append(schemaTree(doc, part, depth + 1));
  const required = new Set(s.required || []);
  for (const [name, prop] of Object.entries(s.properties || {})) {
    const p = resolve(doc, prop);
    const row = el("div", {},
      el("span", { class: "name" }, name), required.has(name) ? el("span", { class: "req" }, " *") : "",
      " ", el("span", { class: "type" }, typeLabel(doc, prop)),
      prop.description || p.description ? el("span", { class: "muted" }, " — " + (prop.description || p.description)) : "");
    box.append(row);
    const inner = p.type === "array" || (Array.isArray(p.type) && p.type.includes("array")) ? resolve(doc, p.items) : p;
    if (depth < 3 && (inner.properties || inner.oneOf) && (prop.$ref || (p.items && p.items.$ref))) {
      const d = el("details", {}, el("summary", { class: "muted" }, "fields"));
      d.append(schemaTree(doc, p.items || prop, depth + 1));
      box.append(d);
    }
  }
  return box;
}

function example(doc, schema, depth) {
  const s = resolve(doc, schema);
  if (depth > 4) return null;
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  if (s.oneOf) {
    const first = s.oneOf.find((v) => resolve(doc, v).type !== "null");
    return first ? example(doc, first, depth + 1) : null;
  }
  if (s.allOf) return Object.assign({}, ...s.allOf.map((p) => example(doc, p, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object": {
      const out = {};
      const req = new Set(s.required || []);
      for (const [k, v] of Object.entries(s.properties || {})) {
        if (req.has(k) || depth === 0) out[k] = example(doc, v, depth + 1);
      }
      return out;
    }
    case "array": return [];
    case "integer": case "number": return s.minimum ?? 0;
    case "boolean": return false;
    case "string":
      return { uuid: "00000000-0000-0000-0000-000000000000", "date-time": new Date().toISOString(), date: "2030-01-01" }[s.format] || "";
    default: return null;
  }
}

function tryIt(op, method, path) {
  const inputs = {};
  const params = op.parameters || [];
  const table = el("table", {});
  for (const p of params) {
    const input = el("input", { placeholder: p.in });
    inputs[p.name] = { input, where: p.in };
    table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, input)));
  }
  const media = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  const body = media ? el("textarea", {}) : null;
  if (body) body.value = JSON.stringify(example(window.DOC, media.schema, 0), null, 2);
  const out = el("pre", { class: "muted" }, "");
  const send = async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const [name, { input, where }] of Object.entries(inputs)) {
      if (!input.value) continue;
      if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(input.value));
      else if (where === "query") query.set(name, input.value);
    }
    if ([...query].length) url += "?" + query;
    const headers = {};
    const token = document.getElementById("token").value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    if (body) headers["Content-Type"] = "application/json";
    out.textContent = "…";
    try {
      const res = await fetch(url, { method: method.toUpperCase(), headers, body: body ? body.value : undefined });
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      out.textContent = `${res.status} ${res.statusText}\n${res.headers.get("content-type") || ""}\n\n${shown}`;
    } catch (e) {
      out.textContent = String(e);
    }
  };
  return el("details", {}, el("summary", {}, "Try it"), params.length ? table : "", body, el("button", { onclick: send }, "Send"), out);
}

function operation(doc, method, path, op) {
  const id = op.operationId || `${method}-${path}`;
  const params = (op.parameters || []).map((p) =>
    el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in + (p.required ? " (required)" : "")),
      el("td", {}, typeLabel(doc, p.schema)), el("td", {}, p.description || "")));
  const responses = Object.entries(op.responses || {}).filter(([code]) => code < "400").map(([code, r]) => {
    const content = r.content || {};
    const [media, m] = Object.entries(content)[0] || [];
    return el("div", {}, el("b", {}, code), " ", r.description || "", media ? el("span", { class: "muted" }, ` (${media})`) : "",
      m && m.schema && media.includes("json") ? schemaTree(doc, m.schema, 0) : "");
  });
  const errors = Object.keys(op.responses || {}).filter((c) => c >= "400");
  const req = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  return el("details", { class: "op", id },
    el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()), el("span", { class: "path" }, path),
      el("span", {}, op.summary || ""), op.security ? el("span", { class: "lock" }, "🔒 bearer") : ""),
    el("div", { class: "body" },
      op.description ? el("p", {}, op.description) : "",
      params.length ? [el("h4", {}, "Parameters"), el("table", {}, params)] : "",
      req ? [el("h4", {}, "Request body"), schemaTree(doc, req.schema, 0)] : "",
      el("h4", {}, "Responses"), responses,
      el("p", { class: "muted" }, `Errors (application/problem+json): ${errors.join(", ")}`),
      tryIt(op, method, path)));
}

function render(doc) {
  window.DOC = doc;
  document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version}`;
  const app = document.getElementById("app");
  const nav = document.getElementById("nav");
  app.replaceChildren(el("p", {}, doc.info.description || ""),
    el("p", { class: "muted" }, "Lists take limit (1–100, default 25) and cursor and answer {items, next_cursor}. " +
      "Errors are RFC 9457 problem documents: {type, title, status, detail, code, errors}."));
  nav.replaceChildren();
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, { tag: { name: tag }, ops: [] });
      byTag.get(tag).ops.push([method, path, op]);
    }
  }
  for (const { tag, ops } of byTag.values()) {
    if (!ops.length) continue;
    app.append(el("h2", { id: `tag-${tag.name}` }, tag.name), tag.description ? el("p", { class: "muted" }, tag.description) : "");
    nav.append(el("h3", {}, tag.name));
    for (const [method, path, op] of ops) {
      const node = operation(doc, method, path, op);
      app.append(node);
      nav.append(el("a", { href: `#${node.id}` }, `${method.toUpperCase()} ${path.replace("/api/v1", "")}`));
    }
  }
}

fetch("openapi.json")
  .then((r) => r.json())
  .then(render)
  .catch((e) => { document.getElementById("app").textContent = "Could not load openapi.json: " + e; });
