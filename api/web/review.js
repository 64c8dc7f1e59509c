// The review page: the queue, then one document at a time (page image with every field's
// box, the fields editable with type checks), keyboard first. Talks to the review API with
// the session cookie and the session's CSRF token on every request; nothing external.
"use strict";

(() => {
  const app = document.getElementById("app");
  const csrf = app.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const state = { queue: [], cursor: null, doc: null, page: 1, rows: [], at: -1, edits: {}, images: {} };

  function say(text, isError) {
    const status = $("status");
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  async function api(method, path, body) {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.detail) || `${method} ${path}: ${response.status}`);
      error.status = response.status;
      error.problem = data;
      throw error;
    }
    return data;
  }

  // ---- the queue ----------------------------------------------------------------------
  async function loadQueue(more) {
    const order = $("order").value;
    const query = new URLSearchParams({ order, limit: "50" });
    if (more && state.cursor) query.set("cursor", state.cursor);
    const page = await api("GET", `/v1/review?${query}`);
    state.queue = more ? state.queue.concat(page.data) : page.data;
    state.cursor = page.next_cursor;
    $("more").hidden = !page.next_cursor;
    const body = $("queue-table").tBodies[0];
    body.replaceChildren(...state.queue.map((item) => {
      const row = document.createElement("tr");
      row.dataset.id = item.id;
      row.tabIndex = 0;
      const why = item.reason || item.review_flags.join(", ");
      for (const text of [item.file_name, item.schema_name, item.licence_tier, item.finished_at || item.created_at, why]) {
        const cell = document.createElement("td");
        cell.textContent = text || "";
        row.append(cell);
      }
      row.addEventListener("click", () => act(() => openDocument(item.id)));
      row.addEventListener("keydown", (e) => { if (e.key === "Enter") act(() => openDocument(item.id)); });
      return row;
    }));
    say(state.queue.length ? `${state.queue.length} document(s) to review` : "Nothing to review.");
  }

  function showQueue() {
    state.doc = null;
    $("document").hidden = true;
    $("queue").hidden = false;
    history.replaceState(null, "", "/review");
    return loadQueue(false);
  }

  // ---- one document -------------------------------------------------------------------
  async function openDocument(id) {
    const doc = await api("GET", `/v1/review/${encodeURIComponent(id)}`);
    state.doc = doc;
    state.edits = {};
    state.rows = fieldRows(doc);
    state.at = -1;
    $("queue").hidden = true;
    $("document").hidden = false;
    $("doc-title").textContent = `${doc.file_name} (${doc.schema_name}, version ${doc.extraction_version})`;
    const reasons = [doc.reason, ...doc.review_flags].filter(Boolean);
    $("reasons").replaceChildren(...reasons.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
    history.replaceState(null, "", `/review#${encodeURIComponent(id)}`);
    renderFields();
    say(`Reviewing ${doc.file_name}`);
    const first = state.rows.findIndex((r) => r.field.flags.length || r.field.review_flags.length);
    await showPage(state.rows[Math.max(first, 0)]?.field.page || 1);
    select(Math.max(first, 0));
  }

  function fieldRows(doc) {
    const rows = Object.entries(doc.fields).map(([path, field]) => ({ path, field }));
    for (const [table, tableRows] of Object.entries(doc.tables)) {
      tableRows.forEach((cells, i) => {
        for (const [column, field] of Object.entries(cells)) rows.push({ path: `${table}[${i}].${column}`, field });
      });
    }
    return rows;
  }

  function renderFields() {
    const body = $("fields").tBodies[0];
    body.replaceChildren(...state.rows.map((row, i) => {
      const tr = document.createElement("tr");
      tr.dataset.path = row.path;
      if (row.field.flags.length || row.field.review_flags.length) tr.classList.add("flagged");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = row.path + (row.field.essential ? " *" : "");
      const valueCell = document.createElement("td");
      const input = document.createElement("input");
      input.name = row.path;
      input.value = row.field.value === null ? "" : String(row.field.value);
      input.dataset.kind = row.field.kind;
      input.setAttribute("aria-label", row.path);
      input.addEventListener("focus", () => select(i, true));
      input.addEventListener("input", () => edited(row, input));
      const hint = document.createElement("small");
      hint.className = "hint";
      valueCell.append(input, hint);
      const confidence = document.createElement("td");
      confidence.textContent = row.field.confidence === null ? "unknown" : row.field.confidence.toFixed(2);
      const flags = document.createElement("td");
      flags.textContent = [...row.field.flags, ...row.field.review_flags].join(", ");
      tr.append(name, valueCell, confidence, flags);
      return tr;
    }));
  }

  // The schema's types, checked before anything is sent (the server checks again).
  function parseValue(kind, text) {
    const value = text.trim();
    if (value === "") return { value: null };
    if (kind === "money" || kind === "number") {
      return /^-?\d+(\.\d+)?$/.test(value) ? { value: Number(value) } : { error: "a number, e.g. 1234.50" };
    }
    if (kind === "integer") return /^-?\d+$/.test(value) ? { value: Number(value) } : { error: "a whole number" };
    if (kind === "currency") return /^[A-Z]{3}$/.test(value) ? { value } : { error: "a 3-letter ISO 4217 code" };
    if (kind === "date") {
      const valid = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
        && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
      return valid ? { value } : { error: "a date as YYYY-MM-DD" };
    }
    return { value };
  }

  function edited(row, input) {
    const parsed = parseValue(row.field.kind, input.value);
    const hint = input.nextElementSibling;
    input.setAttribute("aria-invalid", parsed.error ? "true" : "false");
    hint.textContent = parsed.error ? `expected ${parsed.error}` : "";
    const original = row.field.value === null ? "" : String(row.field.value);
    if (input.value === original) delete state.edits[row.path];
    else state.edits[row.path] = parsed;
  }

  function select(i, fromFocus) {
    if (!state.rows.length) return;
    state.at = Math.min(Math.max(i, 0), state.rows.length - 1);
    const body = $("fields").tBodies[0];
    for (const tr of body.rows) tr.classList.remove("current");
    const tr = body.rows[state.at];
    tr.classList.add("current");
    tr.scrollIntoView({ block: "nearest" });
    const field = state.rows[state.at].field;
    if (field.page && field.page !== state.page) showPage(field.page);
    else drawBoxes();
    if (!fromFocus && document.activeElement && document.activeElement.tagName === "INPUT") document.activeElement.blur();
  }

  async function showPage(n) {
    const count = state.doc.page_count || 1;
    state.page = Math.min(Math.max(n, 1), count);
    $("page-label").textContent = `page ${state.page} of ${count}`;
    const key = `${state.doc.id}/${state.page}`;
    if (!state.images[key]) {
      const response = await fetch(`/v1/documents/${encodeURIComponent(state.doc.id)}/pages/${state.page}/image`, {
        headers: { "X-CSRF-Token": csrf }, credentials: "same-origin",
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => null);
        throw new Error(`page ${state.page}: ${(problem && problem.detail) || response.status}`);
      }
      state.images[key] = URL.createObjectURL(await response.blob());
    }
    $("page-image").src = state.images[key];
    drawBoxes();
  }

  // Boxes are fractions of the page image (origin top-left): drawn as percentages.
  function drawBoxes() {
    const boxes = state.rows.map((row, i) => {
      const { bbox, page } = row.field;
      if (!bbox || page !== state.page) return null;
      const box = document.createElement("div");
      box.className = "box" + (i === state.at ? " current" : "") + (row.field.flags.length || row.field.review_flags.length ? " flagged" : "");
      box.title = row.path;
      box.dataset.path = row.path;
      const [x0, y0, x1, y1] = bbox;
      Object.assign(box.style, {
        left: `${x0 * 100}%`, top: `${y0 * 100}%`, width: `${(x1 - x0) * 100}%`, height: `${(y1 - y0) * 100}%`,
      });
      box.addEventListener("click", () => select(i));
      return box;
    }).filter(Boolean);
    $("boxes").replaceChildren(...boxes);
  }

  // ---- decisions ----------------------------------------------------------------------
  async function save() {
    const entries = Object.entries(state.edits);
    const bad = entries.find(([, parsed]) => parsed.error);
    if (bad) throw new Error(`${bad[0]}: expected ${bad[1].error}`);
    if (!entries.length) return false;
    const fields = Object.fromEntries(entries.map(([path, parsed]) => [path, parsed.value]));
    const id = state.doc.id;
    await api("PATCH", `/v1/documents/${encodeURIComponent(id)}/fields`, {
      extraction_version: state.doc.extraction_version, fields,
    });
    const at = state.at;
    await openDocument(id);
    select(at);
    say(`Saved ${entries.length} correction(s)`);
    return true;
  }

  async function approve() {
    await save();
    const doc = state.doc;
    await api("POST", `/v1/documents/${encodeURIComponent(doc.id)}/approve`, {
      extraction_version: state.doc.extraction_version,
    });
    await nextDocument(doc.id);
    say(`Approved ${doc.file_name}`);
  }

  async function reject(reason) {
    const doc = state.doc;
    await api("POST", `/v1/documents/${encodeURIComponent(doc.id)}/reject`, {
      extraction_version: doc.extraction_version, reason,
    });
    $("reject-form").hidden = true;
    await nextDocument(doc.id);
    say(`Rejected ${doc.file_name}`);
  }

  async function nextDocument(after) {
    await loadQueue(false);
    const next = state.queue.find((item) => item.id !== after);
    if (next) await openDocument(next.id);
    else await showQueue();
  }

  function act(action) {
    action().catch((e) => say(e.status === 409 ? `${e.message} (reload with n or q)` : e.message, true));
  }

  function askReject() {
    $("reject-form").hidden = false;
    $("reject-reason").focus();
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const inInput = document.activeElement && ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (inInput) {
      if (e.key === "Escape") document.activeElement.blur();
      if (e.key === "Enter" && document.activeElement.closest("#fields")) { document.activeElement.blur(); select(state.at + 1); }
      return;
    }
    if (!state.doc) return;
    const keys = {
      j: () => select(state.at + 1), ArrowDown: () => select(state.at + 1),
      k: () => select(state.at - 1), ArrowUp: () => select(state.at - 1),
      Enter: () => { const input = $("fields").tBodies[0].rows[state.at]?.querySelector("input"); if (input) { input.focus(); input.select(); } },
      s: () => act(save), a: () => act(approve), r: askReject,
      n: () => act(() => nextDocument(state.doc.id)), q: () => act(showQueue),
      ArrowLeft: () => act(() => showPage(state.page - 1)), ArrowRight: () => act(() => showPage(state.page + 1)),
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  $("order").addEventListener("change", () => loadQueue(false).catch((e) => say(e.message, true)));
  $("more").addEventListener("click", () => loadQueue(true).catch((e) => say(e.message, true)));
  $("save").addEventListener("click", () => act(save));
  $("approve").addEventListener("click", () => act(approve));
  $("reject").addEventListener("click", askReject);
  $("next-doc").addEventListener("click", () => act(() => nextDocument(state.doc.id)));
  $("prev-page").addEventListener("click", () => act(() => showPage(state.page - 1)));
  $("next-page").addEventListener("click", () => act(() => showPage(state.page + 1)));
  $("reject-cancel").addEventListener("click", () => { $("reject-form").hidden = true; });
  $("reject-form").addEventListener("submit", (e) => { e.preventDefault(); act(() => reject($("reject-reason").value)); });

  const wanted = decodeURIComponent(location.hash.slice(1));
  (wanted ? openDocument(wanted) : loadQueue(false)).catch((e) => say(e.message, true));
})();
