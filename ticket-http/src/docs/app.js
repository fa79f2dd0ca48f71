// Renders /api/openapi.json (placeholder; completed with the docs step).
fetch("../openapi.json").then(r => r.json()).then(doc => {
  document.getElementById("app").textContent = doc.info.title;
});
