// Reviewer page: classify a note, show scores, clue, evidence and the reasons in the text,
// and record the reviewer's judgment with one click. Plain JavaScript, no outside libraries.
// Note text is only ever put into the page as text nodes (textContent), never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const NAMES = { party_building: "党建", finance: "财务", three_assets: "三资管理", livelihood: "民生" };
  const EVIDENCE_NAMES = { persons: "人物", amounts: "金额", dates: "时间", places: "地点", acts: "行为" };
  const state = { info: null, text: "", noteId: null, result: null, labels: new Set(), clue: null };

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  const labelName = (id) => (state.info && state.info.label_names[id]) || NAMES[id] || id;
  const pct = (x) => (Math.max(0, Math.min(1, Number(x) || 0)) * 100).toFixed(1) + "%";

  function say(text, isError) {
    const m = $("message");
    m.textContent = text || "";
    m.className = "message" + (isError ? " error" : "");
  }

  const STATUS_WORDS = { 400: "请求有误", 401: "需要访问令牌", 404: "地址不存在", 413: "内容超过上限", 415: "文件类型不支持",
                         422: "输入有误", 503: "服务暂不可用" };

  // fetch with the token (when one is set) and a Chinese summary of errors; the server's
  // detail (what to fix) is shown as it is.
  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    const token = $("token").value.trim();
    if (token) opts.headers["Authorization"] = "Bearer " + token;
    let response;
    try {
      response = await fetch(path, opts);
    } catch (e) {
      throw new Error("连接不上服务，请确认 textmine serve 正在运行");
    }
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      if (response.status === 401) {
        $("token-box").hidden = false;
        $("token").focus();
      }
      const word = STATUS_WORDS[response.status] || ("错误 " + response.status);
      const detail = body && body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : "";
      const err = new Error(word + (detail ? "：" + detail : ""));
      err.status = response.status;
      throw err;
    }
    return body;
  }

  async function busy(button, work) {
    button.disabled = true;
    try { return await work(); } catch (e) { say(e.message, true); return null; } finally { button.disabled = false; }
  }

  // ------------------------------------------------------------------ start-up
  async function start() {
    $("reviewer").value = localStorage.getItem("textmine.reviewer") || "";
    $("token").value = sessionStorage.getItem("textmine.token") || "";
    $("reviewer").addEventListener("change", () => localStorage.setItem("textmine.reviewer", $("reviewer").value.trim()));
    $("token").addEventListener("change", () => { sessionStorage.setItem("textmine.token", $("token").value.trim()); loadInfo(); });
    $("classify-btn").addEventListener("click", () => classify());
    $("clear-btn").addEventListener("click", () => { $("note-text").value = ""; $("note-text").focus(); });
    $("note-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) classify(); });
    $("upload-btn").addEventListener("click", upload);
    $("file-input").addEventListener("change", () => {
      const f = $("file-input").files[0];
      $("file-name").textContent = f ? f.name : "未选择文件";
    });
    $("queue-btn").addEventListener("click", loadQueue);
    $("confirm-labels").addEventListener("click", () => judge(null, null));
    $("clue-yes").addEventListener("click", () => judge(null, true));
    $("clue-no").addEventListener("click", () => judge(null, false));
    try {
      const health = await (await fetch("/healthz")).json();
      $("model-version").textContent = "模型 " + health.model;
      if (health.auth_required) {
        $("token-box").hidden = false;
        if (!$("token").value) say("本服务需要访问令牌，请先填写", true);
      }
    } catch (e) {
      say("连接不上服务，请确认 textmine serve 正在运行", true);
    }
    loadInfo();
  }

  async function loadInfo() {
    try {
      state.info = await api("/v1/model");
      $("model-version").textContent = "模型 " + state.info.model;
      if (state.result) renderResult();
    } catch (e) { if (e.status !== 401) say(e.message, true); }
  }

  // ------------------------------------------------------------------ classify
  async function classify(text, noteId) {
    const note = text !== undefined ? text : $("note-text").value;
    if (!note.trim()) { say("请先粘贴一件信访件或谈话记录的内容", true); $("note-text").focus(); return; }
    if (text !== undefined) $("note-text").value = text;
    await busy($("classify-btn"), async () => {
      say("研判中……");
      const result = await api("/v1/classify", { method: "POST", headers: { "Content-Type": "application/json" },
                                                 body: JSON.stringify(noteId ? { text: note, id: noteId } : { text: note }) });
      state.text = note;
      state.noteId = noteId || null;
      state.result = result;
      state.labels = new Set(result.labels);
      state.clue = result.clue;
      $("review-status").textContent = "";
      renderResult();
      say("研判完成。请确认或改判类别与线索。");
    });
  }

  function bar(score, threshold, label) {
    const over = threshold !== null && threshold !== undefined && Number(score) >= Number(threshold);
    return el("div", { class: "bar-track" },
      el("div", { class: "bar-fill" + (over ? " over" : ""), dataset: { label: label || "" }, style: "width:" + pct(score) }),
      threshold === null || threshold === undefined ? null :
        el("div", { class: "bar-tick", style: "left:" + pct(threshold), title: "阈值 " + Number(threshold).toFixed(2) }));
  }

  function renderResult() {
    const r = state.result;
    if (!r) return;
    $("empty").hidden = true;
    $("result").hidden = false;
    const thresholds = (state.info && state.info.thresholds) || {};
    const cats = $("categories");
    cats.replaceChildren();
    for (const [lab, score] of Object.entries(r.scores)) {
      const on = state.labels.has(lab);
      const changed = on !== r.labels.includes(lab);
      cats.append(
        el("button", { type: "button", class: "chip" + (on ? " on" : "") + (changed ? " changed" : ""), dataset: { label: lab },
                       title: on ? "点击：不属于此类" : "点击：属于此类", "aria-pressed": on ? "true" : "false",
                       onclick: () => toggleLabel(lab) }, labelName(lab)),
        bar(score, thresholds[lab], lab),
        el("span", { class: "score" }, Number(score).toFixed(2)));
    }
    const clue = $("clue");
    clue.replaceChildren();
    if (r.clue_score === null || r.clue_score === undefined) {
      clue.append(el("span", {}, "此模型不判断线索"));
    } else {
      const modelSays = r.clue ? "模型：是线索" : "模型：不是线索";
      clue.append(el("span", { class: "verdict" + (r.clue ? " yes" : "") }, modelSays),
                  bar(r.clue_score, state.info ? state.info.clue_threshold : null, "clue"),
                  el("span", { class: "score", id: "clue-score" }, Number(r.clue_score).toFixed(2)));
    }
    $("clue-yes").classList.toggle("chosen", state.clue === true);
    $("clue-no").classList.toggle("chosen", state.clue === false);
    renderEvidence(r.evidence || {});
    renderText(state.text, r);
  }

  function renderEvidence(ev) {
    const body = $("evidence").tBodies[0];
    body.replaceChildren();
    for (const [key, name] of Object.entries(EVIDENCE_NAMES)) {
      const items = ev[key] || [];
      const cell = el("td", {});
      if (!items.length) cell.append(el("span", { class: "hint" }, "—"));
      for (const it of items) {
        const extra = key === "amounts" && it.yuan !== undefined && it.yuan !== null ? "（" + Number(it.yuan).toLocaleString("zh-CN") + " 元）" : "";
        cell.append(el("span", { class: "ev-item" }, it.text + extra));
      }
      body.append(el("tr", {}, el("th", {}, name), cell));
    }
  }

  // Offsets from the server are Python string indices (code points); JavaScript strings count
  // UTF-16 units, so the text is split into code points first.
  function renderText(text, r) {
    const chars = Array.from(text);
    const n = chars.length;
    const hls = (r.highlights || []).filter((h) => h.start < h.end);
    const evs = [];
    for (const [kind, items] of Object.entries(r.evidence || {})) {
      for (const it of items || []) if (it.start < it.end) evs.push({ start: it.start, end: it.end, kind });
    }
    const cuts = new Set([0, n]);
    for (const s of hls.concat(evs)) { cuts.add(Math.max(0, Math.min(n, s.start))); cuts.add(Math.max(0, Math.min(n, s.end))); }
    const points = Array.from(cuts).sort((a, b) => a - b);
    const box = $("highlighted");
    box.replaceChildren();
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i], b = points[i + 1];
      const piece = chars.slice(a, b).join("");
      let best = null;
      for (const h of hls) if (h.start <= a && h.end >= b && (!best || h.weight > best.weight)) best = h;
      const kinds = evs.filter((e) => e.start <= a && e.end >= b).map((e) => e.kind);
      let node = document.createTextNode(piece);
      if (kinds.length) {
        node = el("span", { class: "ev " + kinds.map((k) => "ev-" + k).join(" "), title: kinds.map((k) => EVIDENCE_NAMES[k] || k).join("、") }, piece);
      }
      if (best) {
        const known = best.label in NAMES ? best.label : "other";
        node = el("mark", { class: "hl hl-" + known, dataset: { label: best.label },
                            title: "判定依据：" + labelName(best.label) + "（权重 " + Number(best.weight).toFixed(2) + "）" }, node);
      }
      box.append(node);
    }
    const legend = $("legend");
    legend.replaceChildren();
    const used = new Set(hls.map((h) => h.label));
    for (const lab of used) legend.append(el("span", {}, el("mark", { class: "hl hl-" + (lab in NAMES ? lab : "other") }, labelName(lab))));
    if (!used.size) legend.append(el("span", { class: "hint" }, "没有达到阈值的类别，因此没有标出依据"));
  }

  // ------------------------------------------------------------------ judgments
  function toggleLabel(lab) {
    if (state.labels.has(lab)) state.labels.delete(lab); else state.labels.add(lab);
    judge(lab, null);
  }

  // One click = one judgment appended to the audit trail (the page sends the whole state:
  // the categories and the clue as the reviewer now sees them).
  async function judge(toggled, clue) {
    if (!state.result) return;
    const reviewer = $("reviewer").value.trim();
    if (!reviewer) {
      if (toggled) { if (state.labels.has(toggled)) state.labels.delete(toggled); else state.labels.add(toggled); }
      say("请先填写复核人姓名，再确认或改判", true);
      $("reviewer").focus();
      return;
    }
    localStorage.setItem("textmine.reviewer", reviewer);
    if (clue !== null) state.clue = clue;
    if (state.clue === null || state.clue === undefined) state.clue = false;
    renderResult();
    const body = { text: state.text, labels: Array.from(state.labels), clue: state.clue, reviewer };
    if (state.noteId) body.id = state.noteId;
    try {
      const j = await api("/v1/review", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const cats = j.labels.length ? j.labels.map(labelName).join("、") : "无类别";
      $("review-status").textContent = "已记录第 " + j.id + " 条复核（" + (j.verdict === "confirmed" ? "确认" : "改判") + "）：" +
        cats + "；" + (j.clue ? "是线索" : "不是线索");
      $("review-status").dataset.judgment = String(j.id);
      say("复核已保存。");
    } catch (e) { say(e.message, true); }
  }

  // ------------------------------------------------------------------ queue
  async function loadQueue() {
    await busy($("queue-btn"), async () => {
      const q = await api("/v1/review/queue?limit=30");
      const list = $("queue-list");
      list.replaceChildren();
      const c = q.counts;
      $("queue-counts").textContent = "待复核 " + c.waiting + " 件，已复核 " + c.reviewed_notes + " 件（改判 " + c.corrected + " 次）";
      if (!q.notes.length) list.append(el("li", { class: "hint" }, "队列是空的。上传表格时勾选“放入待复核队列”即可添加。"));
      for (const note of q.notes) {
        const snippet = Array.from(note.text).slice(0, 60).join("") + (Array.from(note.text).length > 60 ? "……" : "");
        list.append(el("li", { onclick: () => classify(note.text, String(note.id)) }, snippet,
                       el("span", { class: "u" }, "不确定度 " + Number(note.uncertainty).toFixed(2))));
      }
    });
  }

  // ------------------------------------------------------------------ uploads
  async function upload() {
    const file = $("file-input").files[0];
    if (!file) { say("请先选择一个文件", true); return; }
    const ext = file.name.toLowerCase().split(".").pop();
    const form = new FormData();
    form.append("file", file);
    await busy($("upload-btn"), async () => {
      say("上传并研判中……");
      if (["csv", "tsv", "xlsx", "xlsm"].includes(ext)) {
        if ($("queue-check").checked) form.append("queue", "true");
        const res = await api("/v1/screen", { method: "POST", body: form });
        renderScreen(res);
        if ($("queue-check").checked) loadQueue();
      } else if (["docx", "txt"].includes(ext)) {
        const res = await api("/v1/transcripts", { method: "POST", body: form });
        renderTranscript(res);
      } else {
        throw new Error("不支持的文件类型：请上传 CSV、XLSX、DOCX 或 TXT 文件");
      }
    });
  }

  function renderScreen(res) {
    $("screen").hidden = false;
    $("screen-summary").textContent = "共 " + res.total + " 行" + (res.errors.length ? "，" + res.errors.length + " 行无法读取" : "") +
      (res.rows.length < res.total ? "，显示排序最前的 " + res.rows.length + " 行" : "");
    const head = $("screen-table").tHead;
    head.replaceChildren(el("tr", {}, el("th", {}, "排序"), el("th", {}, "类别"), el("th", {}, "线索分"), el("th", {}, "同组"), el("th", {}, "内容")));
    const body = $("screen-table").tBodies[0];
    body.replaceChildren();
    for (const row of res.rows) {
      const text = row.text || "";
      const labels = (row.labels || []).map(labelName).join("、") || "—";
      body.append(el("tr", { onclick: () => classify(text, row.id !== undefined && row.id !== null ? String(row.id) : null) },
        el("td", {}, row.rank ?? ""), el("td", {}, labels),
        el("td", {}, row.clue_score === null || row.clue_score === undefined ? "—" : Number(row.clue_score).toFixed(2) + (row.clue ? " ★" : "")),
        el("td", {}, row.group || ""),
        el("td", {}, Array.from(text).slice(0, 80).join("") + (Array.from(text).length > 80 ? "……" : ""))));
    }
    const errs = $("screen-errors");
    errs.replaceChildren();
    for (const e of res.errors.slice(0, 50)) errs.append(el("li", {}, "第 " + e.row + " 行：" + e.reason));
    say("表格筛查完成。点击一行即可逐件研判、复核。");
  }

  function renderTranscript(res) {
    $("transcript").hidden = false;
    const clueTurns = new Set(res.clue_turns || []);
    $("transcript-summary").textContent = "共 " + (res.turns || []).length + " 段；整体类别：" +
      ((res.labels || []).map(labelName).join("、") || "无") + "；线索分 " + (res.clue_score === null ? "—" : Number(res.clue_score).toFixed(2));
    const list = $("turns");
    list.replaceChildren();
    for (const t of res.turns || []) {
      list.append(el("li", { class: clueTurns.has(t.index) ? "clue-turn" : "", onclick: () => classify(t.text) },
        el("span", { class: "who" }, t.speaker || ""), t.text,
        el("span", { class: "u hint" }, " 线索分 " + (t.clue_score === null || t.clue_score === undefined ? "—" : Number(t.clue_score).toFixed(2)))));
    }
    say("谈话记录已拆分。红色标记的段落最像问题线索，点击可逐段研判。");
  }

  document.addEventListener("DOMContentLoaded", start);
})();
