// pyengine's page: live camera counting, video upload, workout history.
// Plain JavaScript, no build step and nothing fetched from the network.
"use strict";

const COLOURS = ["#4fc36b", "#4aa8ff", "#ff78c8", "#50f0f0", "#f0b43c"];
const FRAME_WIDTH = 640; // frames are scaled to this width before they are sent
const JPEG_QUALITY = 0.8;

const state = { config: null };

// ------------------------------------------------------------------ helpers

function $(selector) { return document.querySelector(selector); }

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function svgElement(tag, attributes = {}, text = null) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

function exerciseLabel(name) { return name.replace(/_down$/, "").replace(/_/g, " "); }

function colourOf(name) {
  const classes = state.config ? state.config.classes : [];
  const index = classes.indexOf(name);
  return COLOURS[(index >= 0 ? index : hash(name)) % COLOURS.length];
}

function hash(text) {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

function showMessage(text, kind = "error") {
  const box = $("#message");
  box.textContent = text;
  box.className = kind === "info" ? "info" : "";
  box.hidden = !text;
}

function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  let body = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("application/json")) body = await response.json();
  if (!response.ok && !(body && body.status === "failed")) {
    const detail = body && body.detail ? body.detail : `${response.status} ${response.statusText}`;
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return body;
}

function formatSeconds(s) { return `${s.toFixed(1)} s`; }

// ------------------------------------------------------------------ tabs

function showTab(name) {
  for (const panel of document.querySelectorAll("[data-panel]")) {
    panel.hidden = panel.dataset.panel !== name;
  }
  for (const link of document.querySelectorAll("[data-tab]")) {
    link.classList.toggle("active", link.dataset.tab === name);
  }
  if ($("#message").className === "info") showMessage(""); // news of another tab
  if (name === "history") loadHistory();
}

function currentTab() {
  const name = location.hash.replace("#", "");
  return ["live", "upload", "history"].includes(name) ? name : "live";
}

// ------------------------------------------------------------------ live

const live = {
  socket: null,
  stream: null,
  classes: [],
  skeleton: [],
  latencies: [],
  frames: 0,
  dropped: 0,
  counts: {},
  repetitions: [],
  pose: null,
  saved: null,
  closedBy: null,
  inFlight: false,
  grabber: null,
};
window.pyengineLive = live; // read by the browser test

function latencyStats() {
  return {
    n: live.latencies.length,
    p50: percentile(live.latencies, 50),
    p95: percentile(live.latencies, 95),
    dropped: live.dropped,
  };
}
live.latencyStats = latencyStats;

// The socket first, the camera once the server's pose model is ready: the session's time
// starts with the first frame the camera gives.
function startLive() {
  showMessage("");
  $("#live-start").disabled = true;
  Object.assign(live, { latencies: [], frames: 0, dropped: 0, counts: {}, repetitions: [],
    pose: null, saved: null, closedBy: null, inFlight: false });
  $("#live-reps").replaceChildren();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/live`);
  socket.binaryType = "arraybuffer";
  live.socket = socket;
  $("#live-status").textContent = "Loading the pose model...";
  socket.onmessage = (event) => onLiveMessage(JSON.parse(event.data));
  socket.onclose = (event) => onLiveClosed(event);
  socket.onerror = () => {};
}

async function startCamera() {
  try {
    live.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (error) {
    showMessage(`The camera could not be opened: ${error.message}. ` +
      "Browsers allow the camera only on localhost or over HTTPS.");
    live.socket.close(1000, "no camera");
    return;
  }
  const video = $("#live-video");
  video.srcObject = live.stream;
  await video.play();
  $("#live-status").textContent = "Counting. Frames are dropped, never queued, when the server is behind.";
  $("#live-stop").disabled = false;
  $("#live-reset").disabled = false;
  sendNextFrame();
}

function onLiveMessage(message) {
  if (message.type === "ready") {
    live.classes = message.classes;
    live.skeleton = message.skeleton;
    live.topN = message.top_n;
    buildCounters(message.classes);
    if (message.log_problem) showMessage(`Sessions will not be saved: ${message.log_problem}`);
    startCamera();
  } else if (message.type === "frame") {
    live.inFlight = false;
    live.frames += 1;
    live.dropped = message.dropped;
    live.pose = message.pose;
    live.counts = message.counts;
    updateCounters(message);
    for (const rep of message.repetitions) addRepetition(rep);
    drawOverlay();
    live.latencies.push(performance.now() - message.t); // capture -> count on screen
    updateLatency();
    sendNextFrame();
  } else if (message.type === "saved") {
    live.saved = message.session;
    showMessage(`Saved as session ${message.session.id} in the workout log.`, "info");
  } else if (message.type === "not_saved") {
    live.saved = false;
    showMessage(`Not saved: ${message.message}`);
  } else if (message.type === "error") {
    showMessage(`The live connection was closed: ${message.message}`);
  }
}

function onLiveClosed(event) {
  live.closedBy = { code: event.code, reason: event.reason };
  stopCamera();
  $("#live-start").disabled = false;
  $("#live-stop").disabled = true;
  $("#live-reset").disabled = true;
  $("#live-status").textContent = "Camera off.";
  if (event.code !== 1000 && event.code !== 1005 && !$("#message").textContent) {
    showMessage(`The live connection closed (code ${event.code}${event.reason ? ": " + event.reason : ""}).`);
  }
}

function stopCamera() {
  if (live.stream) for (const track of live.stream.getTracks()) track.stop();
  live.stream = null;
}

function stopLive() {
  $("#live-stop").disabled = true;
  if (live.socket && live.socket.readyState === WebSocket.OPEN) {
    live.socket.send(JSON.stringify({ type: "stop" }));
  }
}

function resetLive() {
  if (live.socket && live.socket.readyState === WebSocket.OPEN) {
    live.socket.send(JSON.stringify({ type: "reset" }));
    $("#live-reps").replaceChildren();
  }
}

// One frame in flight at a time: the next one is grabbed when the answer arrives, so the
// newest camera frame is always the one sent and nothing queues up.
function sendNextFrame() {
  const video = $("#live-video");
  const socket = live.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN || live.inFlight || !live.stream) return;
  if (!video.videoWidth) { setTimeout(sendNextFrame, 20); return; }
  const scale = Math.min(1, FRAME_WIDTH / video.videoWidth);
  const canvas = live.grabber || (live.grabber = document.createElement("canvas"));
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const captured = performance.now();
  live.inFlight = true;
  canvas.toBlob(async (blob) => {
    const image = new Uint8Array(await blob.arrayBuffer());
    const message = new Uint8Array(8 + image.length);
    new DataView(message.buffer).setFloat64(0, captured, true);
    message.set(image, 8);
    if (socket.readyState === WebSocket.OPEN) socket.send(message.buffer);
  }, "image/jpeg", JPEG_QUALITY);
}

function buildCounters(classes) {
  const box = $("#live-counts");
  box.replaceChildren();
  for (const name of classes) {
    const bar = element("div", { class: "bar" }, element("span"));
    box.append(element("div", { class: "counter", "data-exercise": name },
      element("div", { class: "label", text: exerciseLabel(name) }),
      element("div", { class: "count", text: "0" }),
      bar,
      element("div", { class: "label confidence", text: "confidence -" })));
  }
}

function updateCounters(message) {
  for (const name of live.classes) {
    const box = document.querySelector(`.counter[data-exercise="${name}"]`);
    if (!box) continue;
    box.querySelector(".count").textContent = String(message.counts[name] ?? 0);
    const confidence = message.confidence[name];
    box.querySelector(".bar span").style.width = `${Math.round(100 * (confidence ?? 0))}%`;
    box.querySelector(".bar span").style.background = colourOf(name);
    box.querySelector(".confidence").textContent =
      confidence === null ? "confidence: no pose" : `confidence in the pose ${(100 * confidence).toFixed(0)}%`;
  }
}

function addRepetition(rep) {
  live.repetitions.push(rep);
  const list = $("#live-reps");
  for (const old of list.querySelectorAll("li.new")) old.classList.remove("new");
  const text = `${exerciseLabel(rep.exercise)} #${rep.number} at ${formatSeconds(rep.end_s)} ` +
    `(took ${formatSeconds(rep.end_s - rep.start_s)})`;
  list.prepend(element("li", { class: "new", "data-exercise": rep.exercise, text }));
}

function updateLatency() {
  const s = latencyStats();
  $("#live-latency").textContent =
    `frame-to-count latency p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms ` +
    `over ${s.n} frames; ${s.dropped} dropped by the server`;
}

function drawOverlay() {
  const video = $("#live-video");
  const canvas = $("#live-overlay");
  const width = video.clientWidth;
  const height = video.clientHeight;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  if (!live.pose) return;
  ctx.lineWidth = 3;
  ctx.strokeStyle = "#ffb000";
  ctx.beginPath();
  for (const [a, b] of live.skeleton) {
    ctx.moveTo(live.pose[a][0] * width, live.pose[a][1] * height);
    ctx.lineTo(live.pose[b][0] * width, live.pose[b][1] * height);
  }
  ctx.stroke();
  ctx.fillStyle = "#ffffff";
  for (const [x, y] of live.pose) {
    ctx.beginPath();
    ctx.arc(x * width, y * height, 3, 0, 2 * Math.PI);
    ctx.fill();
  }
}

// ------------------------------------------------------------------ upload

const upload = { job: null };
window.pyengineUpload = upload;

async function submitUpload(event) {
  event.preventDefault();
  showMessage("");
  const file = $("#upload-file").files[0];
  if (!file) return;
  if (state.config && file.size > state.config.max_upload_bytes) {
    const limit = (state.config.max_upload_bytes / 1048576).toFixed(0);
    showMessage(`${file.name} is larger than this server's upload limit of ${limit} MB.`);
    return;
  }
  $("#upload-result").hidden = true;
  $("#upload-button").disabled = true;
  $("#upload-status").textContent = `Uploading ${file.name}...`;
  const progress = $("#upload-progress");
  progress.hidden = false;
  progress.removeAttribute("value");
  const form = new FormData();
  form.append("file", file);
  try {
    let job = await api("/api/videos", { method: "POST", body: form });
    upload.job = job;
    while (job.status === "queued" || job.status === "running") {
      showProgress(job);
      await new Promise((resolve) => setTimeout(resolve, 400));
      job = await api(`/api/videos/${job.id}`);
      upload.job = job;
    }
    if (job.status === "failed") throw new Error(job.error);
    showReport(job);
  } catch (error) {
    upload.job = { status: "failed", error: error.message };
    $("#upload-status").textContent = "Not counted.";
    showMessage(error.message);
  } finally {
    progress.hidden = true;
    $("#upload-button").disabled = false;
  }
}

function showProgress(job) {
  const progress = $("#upload-progress");
  const fraction = job.progress.fraction;
  if (fraction === null) progress.removeAttribute("value");
  else progress.value = fraction;
  const frames = job.progress.frames_total
    ? `${job.progress.frames_done} of ${job.progress.frames_total} frames`
    : `${job.progress.frames_done} frames`;
  $("#upload-status").textContent = job.status === "queued"
    ? `${job.name}: waiting for the videos before it...` : `${job.name}: counting, ${frames}`;
}

function showReport(job) {
  const report = job.report;
  const counts = Object.entries(report.counts)
    .map(([name, n]) => `${exerciseLabel(name)} ${n}`).join(", ");
  $("#upload-status").textContent = `${job.name}: ${counts}.`;
  if (job.log_error) showMessage(`Counted, but not saved to the workout log: ${job.log_error}`);
  else if (job.session_id !== null) {
    showMessage(`Saved as session ${job.session_id} in the workout log.`, "info");
  }
  renderCounts($("#upload-counts"), report);
  renderTimeline($("#upload-timeline"), report);
  renderExtra($("#upload-extra"), report);
  const blob = new Blob([JSON.stringify(report, null, 2)], { type: "application/json" });
  $("#upload-report-link").href = URL.createObjectURL(blob);
  const video = $("#upload-video");
  if (job.video_url) video.src = job.video_url;
  $("#upload-result").hidden = false;
}

function renderCounts(table, report) {
  table.replaceChildren(element("thead", {},
    element("tr", {}, element("th", { text: "Exercise" }), element("th", { text: "Repetitions" }),
      element("th", { text: "Repetition times (s)" }))));
  const body = element("tbody");
  const reps = report.repetitions || {};
  for (const [name, count] of Object.entries(report.counts)) {
    const times = (reps[name] || []).map((r) => `${r.start_s.toFixed(1)}-${r.end_s.toFixed(1)}`);
    body.append(element("tr", { "data-exercise": name },
      element("td", { text: exerciseLabel(name) }),
      element("td", { class: "count", text: String(count) }),
      element("td", { text: times.join(", ") || "-" })));
  }
  table.append(body);
}

// Lanes of intervals: every list of objects with start_s and end_s that the report holds
// (its repetitions per exercise, and whatever else comes to carry times), drawn on one axis.
function timelineLanes(report) {
  const lanes = [];
  const isInterval = (item) => item && typeof item === "object" &&
    Number.isFinite(item.start_s) && Number.isFinite(item.end_s);
  const visit = (key, value) => {
    if (Array.isArray(value) && value.length && value.every(isInterval)) {
      lanes.push({ key, items: value });
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, child] of Object.entries(value)) {
        if (Array.isArray(child) && child.length && child.every(isInterval)) {
          lanes.push({ key: `${key}: ${inner}`, name: inner, items: child });
        }
      }
    }
  };
  for (const [key, value] of Object.entries(report)) visit(key, value);
  return lanes;
}

function renderTimeline(box, report) {
  const lanes = timelineLanes(report);
  const input = report.input || {};
  const duration = input.fps ? (input.frames_processed || 0) / input.fps : 0;
  const end = Math.max(duration, ...lanes.flatMap((l) => l.items.map((i) => i.end_s)), 1);
  const width = 600;
  const left = 130;
  const laneHeight = 26;
  const height = 24 + laneHeight * Math.max(lanes.length, 1);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const x = (s) => left + (s / end) * (width - left - 10);
  for (let s = 0; s <= end; s += niceStep(end)) {
    svg.append(svgElement("line", { x1: x(s), x2: x(s), y1: 0, y2: height - 16, stroke: "#343a42" }));
    svg.append(svgElement("text", { x: x(s), y: height - 4, "text-anchor": "middle" }, `${s.toFixed(0)} s`));
  }
  if (!lanes.length) svg.append(svgElement("text", { x: left, y: 18 }, "no repetitions"));
  lanes.forEach((lane, i) => {
    const y = 4 + i * laneHeight;
    svg.append(svgElement("text", { x: 4, y: y + 15 }, lane.key.replace(/^repetitions: /, "")));
    lane.items.forEach((item, k) => {
      const rect = svgElement("rect", {
        x: x(item.start_s), y, width: Math.max(2, x(item.end_s) - x(item.start_s)),
        height: laneHeight - 8, rx: 3, fill: colourOf(lane.name || lane.key),
        "data-lane": lane.key,
      });
      rect.append(svgElement("title", {},
        `${lane.key} #${k + 1}: ${item.start_s.toFixed(2)}-${item.end_s.toFixed(2)} s`));
      svg.append(rect);
    });
  });
  box.replaceChildren(svg);
}

function niceStep(span) {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (span / step <= 10) return step;
  return 1200;
}

function renderExtra(pre, report) {
  const shown = new Set(["counts", "repetitions"]);
  const rest = Object.fromEntries(Object.entries(report).filter(([k]) => !shown.has(k)));
  pre.textContent = JSON.stringify(rest, null, 2);
}

// ------------------------------------------------------------------ history

const historyView = { sessions: [], selected: null, error: null };
window.pyengineHistory = historyView;

async function loadHistory() {
  $("#history-status").textContent = "Loading...";
  try {
    const body = await api("/api/sessions");
    historyView.sessions = body.sessions;
    historyView.error = null;
    $("#history-status").textContent = `${body.sessions.length} sessions in ${body.log}`;
  } catch (error) {
    historyView.sessions = [];
    historyView.error = error.message;
    $("#history-status").textContent = "";
    showMessage(`The workout log cannot be read: ${error.message}`);
  }
  renderHistoryTable();
  renderDailyChart();
  const withReps = historyView.sessions.filter((s) => Object.values(s.counts).some((n) => n > 0));
  selectSession(withReps.length ? withReps[withReps.length - 1] : null);
}

function shownExercises(session) {
  const names = Object.keys(session.counts);
  const counted = names.filter((n) => session.counts[n] > 0);
  return counted.length ? counted : names.slice(0, 1);
}

function renderHistoryTable() {
  const body = $("#history-table tbody");
  body.replaceChildren();
  for (const session of [...historyView.sessions].reverse()) {
    for (const name of shownExercises(session)) {
      const reps = (session.repetitions[name] || [])
        .map((r) => `${r.start_s.toFixed(1)}-${r.end_s.toFixed(1)}`).join(", ");
      const row = element("tr", { "data-session": String(session.id), "data-source": session.source },
        element("td", { text: String(session.id) }),
        element("td", { text: new Date(session.started_at).toLocaleString() }),
        element("td", { text: session.source }),
        element("td", { text: session.name }),
        element("td", { text: exerciseLabel(name) }),
        element("td", { class: "count", text: String(session.counts[name]) }),
        element("td", { text: formatSeconds(session.duration_s) }),
        element("td", { text: reps || "-" }));
      row.addEventListener("click", () => selectSession(session));
      body.append(row);
    }
  }
}

function localDay(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function renderDailyChart() {
  const totals = new Map(); // day -> Map(exercise -> reps)
  const exercises = new Set();
  for (const session of historyView.sessions) {
    const day = localDay(session.started_at);
    if (!totals.has(day)) totals.set(day, new Map());
    for (const [name, n] of Object.entries(session.counts)) {
      exercises.add(name);
      totals.get(day).set(name, (totals.get(day).get(name) || 0) + n);
    }
  }
  const days = [...totals.keys()].sort().slice(-14);
  const names = [...exercises];
  const box = $("#history-chart");
  if (!days.length) {
    const text = historyView.error ? "The workout log cannot be read." : "No sessions yet.";
    box.replaceChildren(element("p", { class: "muted", text }));
    return;
  }
  const max = Math.max(1, ...days.flatMap((d) => names.map((n) => totals.get(d).get(n) || 0)));
  const width = 600, height = 220, bottom = 40, left = 30;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const groupWidth = (width - left) / days.length;
  const barWidth = Math.min(48, Math.max(4, (groupWidth - 10) / Math.max(1, names.length)));
  const y = (v) => (height - bottom) * (1 - v / max) + 6;
  days.forEach((day, i) => {
    names.forEach((name, k) => {
      const value = totals.get(day).get(name) || 0;
      const x = left + i * groupWidth + (groupWidth - names.length * barWidth) / 2 + k * barWidth;
      const bar = svgElement("rect", { x, y: y(value), width: barWidth - 2,
        height: Math.max(0, height - bottom + 6 - y(value)), fill: colourOf(name),
        "data-day": day, "data-exercise": name, "data-reps": String(value) });
      bar.append(svgElement("title", {}, `${day}: ${exerciseLabel(name)} ${value}`));
      svg.append(bar);
    });
    svg.append(svgElement("text", { x: left + (i + 0.5) * groupWidth, y: height - bottom + 22,
      "text-anchor": "middle" }, day.slice(5)));
  });
  svg.append(svgElement("text", { x: 2, y: y(max) + 4 }, String(max)));
  names.forEach((name, k) => {
    svg.append(svgElement("rect", { x: left + k * 110, y: height - 12, width: 10, height: 10,
      fill: colourOf(name) }));
    svg.append(svgElement("text", { x: left + k * 110 + 14, y: height - 3 }, exerciseLabel(name)));
  });
  box.replaceChildren(svg);
}

function selectSession(session) {
  historyView.selected = session;
  for (const row of document.querySelectorAll("#history-table tbody tr")) {
    row.classList.toggle("selected", session !== null && row.dataset.session === String(session.id));
  }
  const box = $("#rep-chart");
  if (!session) {
    $("#rep-chart-title").textContent = "a session";
    box.replaceChildren(element("p", { class: "muted", text: "No repetitions yet." }));
    return;
  }
  $("#rep-chart-title").textContent = `session ${session.id} (${session.name})`;
  const reps = Object.entries(session.repetitions)
    .flatMap(([name, list]) => list.map((r, i) => ({ name, number: i + 1, ...r })))
    .sort((a, b) => a.start_s - b.start_s);
  if (!reps.length) {
    box.replaceChildren(element("p", { class: "muted", text: "No repetitions in this session." }));
    return;
  }
  const durations = reps.map((r) => r.end_s - r.start_s);
  const max = Math.max(...durations, 0.1);
  const width = 600, height = 200, bottom = 24, left = 34, top = 16;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const barWidth = Math.min(60, (width - left) / reps.length);
  reps.forEach((rep, i) => {
    const h = (height - bottom - top) * (durations[i] / max);
    const bar = svgElement("rect", { x: left + i * barWidth + 2, y: height - bottom - h,
      width: Math.max(2, barWidth - 4), height: h, fill: colourOf(rep.name),
      "data-duration": durations[i].toFixed(3) });
    bar.append(svgElement("title", {},
      `${exerciseLabel(rep.name)} #${rep.number}: ${durations[i].toFixed(2)} s`));
    svg.append(bar);
    svg.append(svgElement("text", { x: left + (i + 0.5) * barWidth, y: height - 8,
      "text-anchor": "middle" }, String(i + 1)));
    svg.append(svgElement("text", { x: left + (i + 0.5) * barWidth, y: height - bottom - h - 4,
      "text-anchor": "middle" }, durations[i].toFixed(1)));
  });
  box.replaceChildren(svg);
}

// ------------------------------------------------------------------ start

async function init() {
  for (const link of document.querySelectorAll("[data-tab]")) {
    link.addEventListener("click", () => setTimeout(() => showTab(currentTab()), 0));
  }
  window.addEventListener("hashchange", () => showTab(currentTab()));
  $("#live-start").addEventListener("click", startLive);
  $("#live-stop").addEventListener("click", stopLive);
  $("#live-reset").addEventListener("click", resetLive);
  $("#upload-form").addEventListener("submit", submitUpload);
  $("#history-refresh").addEventListener("click", loadHistory);
  try {
    state.config = await api("/api/config");
    $("#server-info").textContent =
      `v${state.config.version}; counting ${state.config.classes.map(exerciseLabel).join(", ")}`;
    if (state.config.log.problem) showMessage(`Workout log: ${state.config.log.problem}`);
  } catch (error) {
    showMessage(`The server cannot be reached: ${error.message}`);
  }
  showTab(currentTab());
  document.body.dataset.ready = "true";
}

init();
