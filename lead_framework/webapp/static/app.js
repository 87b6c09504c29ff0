// LEAD infraction viewer: route list, video, infractions; state kept in the URL hash
// (#route=<stage>/<folder>&t=<seconds>&view=<video name>) so a bookmark reopens the same moment.
"use strict";

// Clicking an infraction starts the video this many seconds before it, to show how it came about.
const SEEK_LEAD_S = 2;
// Video time 0 is the route's first tick; infraction times (time_s) are route times in seconds.

const state = {
  routes: [],
  sort: { key: "stage", dir: 1 },
  route: null,        // detail of the selected route (from /api/routes/<stage>/<folder>)
  view: null,         // name of the video shown
  pendingSeek: null,  // time to seek to once the video's metadata has loaded
  loadingKey: null,   // route being fetched (history traversal fires both popstate and hashchange)
  steps: [],          // rows of the route's steps.jsonl (controls and ego state per tick), by time
};

const $ = (id) => document.getElementById(id);
const video = $("video");

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function getJSON(url) {
  const response = await fetch(url);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `${url}: HTTP ${response.status}`);
  return data;
}

function fmt(value, digits) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// ---- URL hash -------------------------------------------------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const t = parseFloat(params.get("t"));
  return { route: params.get("route"), t: Number.isFinite(t) ? t : null, view: params.get("view") };
}

function writeHash(push) {
  if (!state.route) return;
  const parts = ["route=" + state.route.key.split("/").map(encodeURIComponent).join("/")];
  const t = state.pendingSeek !== null ? state.pendingSeek : video.currentTime;
  if (state.route.videos[state.view] && Number.isFinite(t)) parts.push("t=" + t.toFixed(1));
  if (state.view && state.view !== Object.keys(state.route.videos)[0]) parts.push("view=" + encodeURIComponent(state.view));
  const hash = "#" + parts.join("&");
  if (hash === location.hash) return;
  if (push) history.pushState(null, "", hash);
  else history.replaceState(null, "", hash);
}

async function applyHash() {
  const wanted = readHash();
  if (!wanted.route || wanted.route === state.loadingKey) return;
  if (!state.route || state.route.key !== wanted.route) {
    await selectRoute(wanted.route, wanted.t, wanted.view, false);
  } else {
    if (wanted.view && wanted.view !== state.view && state.route.videos[wanted.view]) showView(wanted.view, wanted.t);
    else if (wanted.t !== null && Math.abs(wanted.t - video.currentTime) > 0.05) seekTo(wanted.t);
  }
}

// ---- route list -----------------------------------------------------------------------------

function statusClass(route) {
  if (route.error || /fail/i.test(route.status)) return "status-bad";
  return /perfect|completed/i.test(route.status) ? "status-ok" : "";
}

function visibleRoutes() {
  const needle = $("filter").value.trim().toLowerCase();
  const onlyInfractions = $("only-infractions").checked;
  const { key, dir } = state.sort;
  return state.routes
    .filter((r) => !onlyInfractions || r.infractions > 0)
    .filter((r) => !needle || [r.stage, r.route_id, r.folder, r.status].join(" ").toLowerCase().includes(needle))
    .sort((a, b) => {
      const x = a[key], y = b[key];
      if (x === y) return a.key < b.key ? -1 : 1;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });
}

function renderRoutes() {
  const body = $("routes").tBodies[0];
  body.replaceChildren();
  const rows = visibleRoutes();
  for (const route of rows) {
    const tr = element("tr");
    tr.dataset.routeKey = route.key;
    if (route.error) tr.title = route.error;
    if (state.route && state.route.key === route.key) tr.classList.add("selected");
    tr.append(
      element("td", route.stage),
      element("td", route.route_id),
      element("td", route.status || route.error, statusClass(route)),
      element("td", fmt(route.DS, 1), "num"),
      element("td", fmt(route.RC, 1), "num"),
      element("td", fmt(route.IS, 3), "num"),
      element("td", String(route.infractions), "num"),
    );
    tr.addEventListener("click", () => selectRoute(route.key, 0, null, true));
    body.append(tr);
  }
  const scored = rows.filter((r) => r.DS !== null);
  const mean = scored.length ? scored.reduce((s, r) => s + r.DS, 0) / scored.length : null;
  $("routes-summary").textContent = `${rows.length} of ${state.routes.length} routes, mean DS ${fmt(mean, 1)}`;
  for (const th of document.querySelectorAll("#routes th[data-sort]")) {
    th.classList.toggle("sorted-asc", th.dataset.sort === state.sort.key && state.sort.dir > 0);
    th.classList.toggle("sorted-desc", th.dataset.sort === state.sort.key && state.sort.dir < 0);
  }
}

// ---- selected route -------------------------------------------------------------------------

async function selectRoute(key, t, view, push) {
  const [stage, folder] = key.split("/");
  let route;
  state.loadingKey = key;
  try {
    route = await getJSON(`/api/routes/${encodeURIComponent(stage)}/${encodeURIComponent(folder)}`);
  } catch (error) {
    showError(error.message);
    return;
  } finally {
    state.loadingKey = null;
  }
  showError("");
  state.route = route;
  renderDetail(route);
  renderRoutes();
  const views = Object.keys(route.videos);
  showView(views.includes(view) ? view : views[0] || null, t, push);
  loadSteps(route);
}

async function loadSteps(route) {
  state.steps = [];
  if (!route.ticks) return;
  const response = await fetch(stepsUrl(route));
  if (!response.ok || state.route !== route) return;
  const text = await response.text();
  state.steps = text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
  onTimeChanged();
}

function stepsUrl(route) {
  return `/files/${encodeURIComponent(route.stage)}/routes/${encodeURIComponent(route.folder)}/steps.jsonl`;
}

// The logged step at video time t: the last one whose time is not after t.
function stepAt(t) {
  const steps = state.steps;
  let lo = 0, hi = steps.length - 1, found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid].t <= t + 1e-6) { found = steps[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

// Numbers of the step, then the agent's numbers, its non-empty texts and the names of its flags that are true.
function describeStep(step) {
  if (!step) return "";
  const numbers = (entries) => entries
    .filter(([name, value]) => name !== "t" && typeof value === "number")
    .map(([name, value]) => `${name} ${name === "tick" ? value : value.toFixed(2)}`);
  const agent = Object.entries(step.agent || {});
  const words = agent.filter(([, value]) => typeof value === "string" && value).map(([name, value]) => `${name} ${value}`);
  const flags = agent.filter(([, value]) => value === true).map(([name]) => name);
  return [...numbers(Object.entries(step)), ...numbers(agent), ...words, ...flags].join(" · ");
}

function showView(view, t, push) {
  state.view = view;
  for (const button of $("views").children) button.classList.toggle("active", button.dataset.view === view);
  $("no-video").hidden = Boolean(view);
  video.hidden = !view;
  if (view) {
    state.pendingSeek = t === null || t === undefined ? 0 : t;
    video.src = state.route.videos[view];
  } else {
    state.pendingSeek = null;
    video.removeAttribute("src");
    video.load();
  }
  writeHash(push);
}

function seekTo(t) {
  if (video.readyState >= 1) {
    video.currentTime = Math.max(0, Math.min(t, video.duration || t));
  } else {
    state.pendingSeek = Math.max(0, t);
  }
}

function renderDetail(route) {
  $("placeholder").hidden = true;
  $("detail").hidden = false;
  $("route-title").textContent = `${route.route_id}  (${route.stage})`;
  $("route-facts").textContent =
    `${route.error || route.status} · DS ${fmt(route.DS, 1)} · RC ${fmt(route.RC, 1)} · IS ${fmt(route.IS, 3)}` +
    ` · ${route.infractions} infraction(s) · ${fmt(route.duration_s, 1)} s simulated · ${route.ticks} ticks logged`;
  const views = $("views");
  views.replaceChildren();
  for (const name of Object.keys(route.videos)) {
    const button = element("button", name);
    button.dataset.view = name;
    button.addEventListener("click", () => showView(name, video.currentTime, false));
    views.append(button);
  }
  const body = $("infractions").tBodies[0];
  body.replaceChildren();
  route.events.forEach((event, index) => {
    const tr = element("tr");
    tr.dataset.infractionIndex = String(index);
    const timed = event.time_s !== null && event.time_s !== undefined;
    tr.append(
      element("td", timed ? `${fmt(event.time_s, 1)} s` : "–", "num"),
      element("td", event.key),
      element("td", event.message),
      element("td", event.metres_driven === null || event.metres_driven === undefined ? "–" : `${fmt(event.metres_driven, 1)} m`, "num"),
    );
    if (timed) tr.addEventListener("click", () => jumpToInfraction(event));
    else tr.classList.add("no-time");
    body.append(tr);
  });
  $("no-infractions").hidden = route.events.length > 0;
  const files = $("route-files");
  files.replaceChildren(element("span", "files: "));
  for (const name of ["record.json", "infractions.json", "steps.jsonl"]) {
    const link = element("a", name);
    link.href = stepsUrl(route).replace(/steps\.jsonl$/, name);
    link.target = "_blank";
    files.append(link);
  }
  renderTimeline();
}

function jumpToInfraction(event) {
  if (!state.view) return;
  seekTo(Math.max(0, event.time_s - SEEK_LEAD_S));
  video.play().catch(() => {}); // playback may be refused (autoplay rules); the seek still holds
}

function renderTimeline() {
  const line = $("timeline");
  line.replaceChildren();
  const duration = video.duration;
  if (!state.route || !Number.isFinite(duration) || duration <= 0) return;
  for (const event of state.route.events) {
    if (event.time_s === null || event.time_s === undefined) continue;
    const mark = element("button", null, "mark");
    mark.style.left = `${Math.min(100, (100 * event.time_s) / duration)}%`;
    mark.title = `${fmt(event.time_s, 1)} s ${event.key}: ${event.message}`;
    mark.addEventListener("click", () => jumpToInfraction(event));
    line.append(mark);
  }
  const now = element("div", null, "now");
  now.style.left = `${(100 * video.currentTime) / duration}%`;
  line.append(now);
}

function onTimeChanged() {
  const t = video.currentTime;
  $("clock").textContent = `${fmt(t, 1)} s / ${fmt(video.duration, 1)} s`;
  $("step").textContent = describeStep(stepAt(t));
  const now = document.querySelector("#timeline .now");
  if (now && video.duration > 0) now.style.left = `${(100 * t) / video.duration}%`;
  if (state.route) {
    state.route.events.forEach((event, index) => {
      const row = document.querySelector(`#infractions tr[data-infraction-index="${index}"]`);
      if (row) row.classList.toggle("active", event.time_s !== null && t >= event.time_s - SEEK_LEAD_S && t <= event.time_s + 1);
    });
  }
  if (state.pendingSeek === null) writeHash(false);
}

// ---- wiring ---------------------------------------------------------------------------------

video.addEventListener("loadedmetadata", () => {
  const t = state.pendingSeek;
  state.pendingSeek = null;
  renderTimeline();
  if (t !== null) video.currentTime = Math.max(0, Math.min(t, video.duration || t));
  onTimeChanged();
});
video.addEventListener("timeupdate", onTimeChanged);
video.addEventListener("seeked", onTimeChanged);
video.addEventListener("error", () => {
  if (video.getAttribute("src")) showError(`cannot play ${video.getAttribute("src")} (${video.error ? video.error.message || "code " + video.error.code : "unknown error"})`);
});

$("filter").addEventListener("input", renderRoutes);
$("only-infractions").addEventListener("change", renderRoutes);
for (const th of document.querySelectorAll("#routes th[data-sort]")) {
  th.addEventListener("click", () => {
    const key = th.dataset.sort;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    renderRoutes();
  });
}
window.addEventListener("hashchange", applyHash);
window.addEventListener("popstate", applyHash);
$("lead-seconds").textContent = String(SEEK_LEAD_S);

(async function start() {
  try {
    const data = await getJSON("/api/routes");
    state.routes = data.routes;
    $("run-dir").textContent = data.run_dir;
    renderRoutes();
    await applyHash();
  } catch (error) {
    showError(error.message);
  }
})();
