// The sightgag studio page: plain JavaScript on the server's JSON API, no build step.
//
// Flow: request (+ subjects) -> POST /api/concepts -> pick and edit a card -> POST /api/jobs with that
// concept -> progress from /api/jobs/{id}/events (or polling) -> the gag from /api/gallery/{id}.
"use strict";

const LETTERING_STYLES = ["meme", "caption", "balloon", "label", "none"]; // until /api/info says
const KEY_STORAGE = "sightgag.apiKey";
const MAX_CAPTION_WORDS = 20;
const POLL_MS = 600;

const $ = (selector, root = document) => root.querySelector(selector);

const state = {
  info: null,
  concepts: [], // as the writer wrote them; edits are read from the cards when painting
  picked: null, // index into concepts
  request: "", // the request the concepts were written for
  gag: null, // the gag on show in the result panel
  details: null, // the gag on show in the details dialog
  busy: false,
  imageVersion: new Map(), // gag id -> counter, bumped by re-lettering so browsers fetch the new picture
};

// ---------------------------------------------------------------------------------------------------
// Talking to the server

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** fetch with the API key; asks for a key on 401 and tries again; throws ApiError with a readable message. */
async function api(path, { method = "GET", json, form, raw = false } = {}) {
  for (;;) {
    const headers = authHeaders();
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form; // the browser sets the multipart boundary itself
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body });
    } catch {
      throw new ApiError("Cannot reach the sightgag server. Is `sightgag serve` still running?", 0);
    }
    if (response.status === 401) {
      const key = await askForKey(apiKey() ? "That key was not accepted. Try again?" : "");
      if (key) continue;
      throw new ApiError("This studio needs its API key (SIGHTGAG_API_KEY) to do that.", 401);
    }
    if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
    if (raw) return response;
    return response.status === 204 ? null : response.json();
  }
}

/** The one-line message of an error response: FastAPI's {"detail": "..."} or its 422 list of problems. */
async function errorMessage(response) {
  let detail;
  try {
    detail = (await response.json()).detail;
  } catch {
    return `The server answered ${response.status} ${response.statusText}.`;
  }
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((problem) => {
        const where = (problem.loc || []).filter((part) => part !== "body").join(" › ");
        return where ? `${where}: ${problem.msg}` : problem.msg;
      })
      .join("; ");
  }
  return `The server answered ${response.status}.`;
}

// <img src> and <a href> cannot send an Authorization header: with a key, images are fetched and shown from blobs.
const blobUrls = new Map();

async function imageUrl(url) {
  if (!apiKey()) return url;
  if (!blobUrls.has(url)) {
    const response = await api(url, { raw: true });
    blobUrls.set(url, URL.createObjectURL(await response.blob()));
  }
  return blobUrls.get(url);
}

async function showImage(img, url) {
  try {
    img.src = await imageUrl(url);
  } catch (error) {
    showError(error);
  }
}

function versioned(gag, url) {
  const version = state.imageVersion.get(gag.id) || 0;
  return version ? `${url}${url.includes("?") ? "&" : "?"}v=${version}` : url;
}

function downloadUrl(url, { clean = false } = {}) {
  return `${url}${url.includes("?") ? "&" : "?"}${clean ? "render=1&" : ""}download=1`;
}

/** A download link that also works with an API key (the key goes in a header, so the file is fetched first). */
function setDownload(link, url, filename) {
  link.href = url;
  link.setAttribute("download", filename);
  link.onclick = async (event) => {
    if (!apiKey()) return;
    event.preventDefault();
    try {
      const response = await api(url, { raw: true });
      const blob = URL.createObjectURL(await response.blob());
      const temporary = Object.assign(document.createElement("a"), { href: blob, download: filename });
      temporary.click();
      setTimeout(() => URL.revokeObjectURL(blob), 10_000);
    } catch (error) {
      showError(error);
    }
  };
}

// ---------------------------------------------------------------------------------------------------
// Messages

function showError(error) {
  const message = error instanceof Error ? error.message : String(error);
  $("#error-text").textContent = message;
  $("#error").hidden = false;
  console.error(error);
}

function clearError() {
  $("#error").hidden = true;
}

let keyPrompt = null; // one prompt at a time: requests that fail together wait for the same answer

/** Ask for the API key; resolves to the key (also stored) or "" when the user cancels. */
function askForKey(reason) {
  if (keyPrompt) return keyPrompt;
  const dialog = $("#key-dialog");
  $("#key-reason").textContent = reason;
  $("#key-reason").hidden = !reason;
  $("#key-input").value = "";
  dialog.returnValue = "";
  dialog.showModal();
  keyPrompt = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        const key = dialog.returnValue === "save" ? $("#key-input").value.trim() : "";
        if (key) localStorage.setItem(KEY_STORAGE, key);
        keyPrompt = null;
        updateKeyButton();
        resolve(key);
      },
      { once: true },
    );
  });
  return keyPrompt;
}

function updateKeyButton() {
  $("#forget-key").hidden = !apiKey();
}

function setBusy(busy) {
  state.busy = busy;
  for (const id of ["#write", "#paint-now", "#paint"]) $(id).disabled = busy || (id === "#paint" && state.picked === null);
}

// ---------------------------------------------------------------------------------------------------
// Info, examples and subjects

/** A writer or artist picker: the server's default first, then every provider a request may name
 * (built-in or plugin, as `sightgag plugins` lists them); those that cannot run here are shown, disabled, with why. */
function fillPicker(select, fallback, providers = []) {
  const options = providers.map(({ name, origin, ready, why }) => {
    const from = origin === "built-in" ? "" : ` · ${origin}`;
    const option = element("option", { value: name, textContent: `${name}${from}${ready ? "" : " (not ready)"}`, title: why, disabled: !ready });
    option.dataset.testid = "provider";
    return option;
  });
  // "default", as the size picker says it; which one that is shows in the header and on hover.
  select.replaceChildren(element("option", { value: "", textContent: "default", title: `the server's default: ${fallback}` }), ...options);
}

async function loadInfo() {
  state.info = await api("/api/info");
  const { writer, artist, examples = [] } = state.info;
  const backends = $("#backends");
  backends.textContent = `writer ${writer} · artist ${artist}`;
  backends.hidden = false;
  fillPicker($("#writer"), writer, state.info.writers);
  fillPicker($("#artist"), artist, state.info.artists);
  const box = $("#examples");
  box.replaceChildren(
    ...examples.map((example) => {
      const button = element("button", { className: "example", type: "button", textContent: example });
      button.dataset.testid = "example";
      button.addEventListener("click", () => {
        $("#request").value = example;
        $("#request").focus();
      });
      return button;
    }),
  );
}

async function loadSubjects(check = []) {
  const subjects = await api("/api/subjects");
  const chosen = new Set([...chosenSubjects(), ...check]);
  const chips = subjects.map((subject) => {
    const input = element("input", { type: "checkbox", value: subject.name, checked: chosen.has(subject.name) });
    const photos = (subject.photos || []).length;
    const label = element("label", { className: "chip", title: `${subject.kind || "subject"}, ${photos} photo${photos === 1 ? "" : "s"}` }, [
      input,
      avatar(subject),
      element("span", { className: "chip-name", textContent: subject.name }),
      subject.kind ? element("span", { className: "chip-kind", textContent: subject.kind }) : "",
    ]);
    label.dataset.testid = "subject-chip";
    return label;
  });
  $("#subjects").replaceChildren(...chips);
  if (!chips.length) $("#subjects").append(element("p", { className: "hint", textContent: "No subjects yet. Add a pet, a friend or yourself from a few photos." }));
}

/** A subject's first photo in a circle, over its initial (which shows while it loads, or if it cannot). */
function avatar(subject) {
  const circle = element("span", { className: "avatar", textContent: [...subject.name][0]?.toUpperCase() || "?", ariaHidden: "true" });
  if ((subject.photos || []).length) {
    const img = element("img", { alt: "" });
    img.addEventListener("error", () => img.remove());
    circle.append(img);
    showImage(img, `/api/subjects/${encodeURIComponent(subject.name)}/photos/0`);
  }
  return circle;
}

function chosenSubjects() {
  return [...document.querySelectorAll("#subjects input:checked")].map((input) => input.value);
}

function toggleSubjectForm(open) {
  $("#subject-form").hidden = !open;
  $("#subject-add").setAttribute("aria-expanded", String(open));
  if (open) $("#subject-form [name=name]").focus();
}

async function addSubject(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const button = $("[type=submit]", form);
  button.disabled = true;
  button.textContent = "Adding…";
  try {
    const subject = await api("/api/subjects", { method: "POST", form: data });
    form.reset();
    toggleSubjectForm(false);
    await loadSubjects([subject.name]);
    clearError();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
    button.textContent = "Add subject";
  }
}

// ---------------------------------------------------------------------------------------------------
// Concepts

/** The request, subjects and options as the API takes them; undefined fields are left out of the JSON. */
function requestBody(request = $("#request").value.trim()) {
  if (!request) throw new ApiError("Type a request first, or click one of the examples.", 0);
  const number = (id) => ($(id).value === "" ? undefined : Number($(id).value));
  const text = (id) => $(id).value.trim() || undefined;
  return {
    request,
    subjects: chosenSubjects(),
    writer: text("#writer"),
    artist: text("#artist"),
    lettering: text("#lettering"),
    seed: number("#seed"),
    size: text("#size"),
    // A strip is written and painted in one job: 3 or 4 panels with one cast, on a page in a layout.
    ...(number("#panels") ? { panels: number("#panels"), layout: text("#layout"), lettering: undefined } : {}),
  };
}

/** What a gag or a strip is called where it is shown: a strip by its title, a gag by its caption. */
function shownTitle(gag) {
  return gag.strip ? gag.strip.title : gag.concept.caption.text;
}

async function writeConcepts() {
  clearError();
  let body;
  try {
    body = requestBody();
  } catch (error) {
    showError(error);
    return;
  }
  // A strip's beats are written together with its panels: there are no single concepts to pick from.
  if (body.panels) return paint({ withPickedConcept: false });
  setBusy(true);
  const button = $("#write");
  button.textContent = "Writing…";
  try {
    const n = Math.min(8, Math.max(1, Number($("#count").value) || 3));
    const answer = await api("/api/concepts", {
      method: "POST",
      json: { request: body.request, subjects: body.subjects, writer: body.writer, seed: body.seed, n },
    });
    state.concepts = answer.concepts;
    state.request = body.request;
    state.picked = null;
    renderConcepts(answer.writer, answer.editor);
    if (state.concepts.length === 1) pickConcept(0);
    $("#concepts-panel").hidden = false;
    $("#concepts-panel").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (error) {
    showError(error);
  } finally {
    button.textContent = "Write concepts";
    setBusy(false);
  }
}

function renderConcepts(writer, editor) {
  $("#concepts-title").textContent = state.concepts.length === 1 ? "Your concept" : `Pick a concept (${state.concepts.length})`;
  // The editor's record lists the kept candidates first, in the order of the concepts.
  const kept = editor ? editor.ranking.filter((judgement) => judgement.kept) : [];
  $("#concepts").replaceChildren(...state.concepts.map((concept, index) => conceptCard(concept, index, writer, kept[index], editor)));
}

/** "7.5/10 · plays on the hero and foil": what the editor thought of a kept concept. */
function editorNote(judgement, editor) {
  const note = element("p", { className: "card-editor", textContent: `${judgement.score.toFixed(1)}/10 · ${judgement.reason}` });
  note.title = `ranked by the ${editor.editor} editor, ${editor.candidates} candidates`;
  note.dataset.testid = "concept-editor";
  return note;
}

function conceptCard(concept, index, writer, judgement, editor) {
  const caption = element("textarea", { className: "card-caption", value: concept.caption.text, rows: 2, maxLength: 160, ariaLabel: "Caption" });
  caption.dataset.testid = "concept-caption";
  // A caption is one line of text: Enter paints rather than breaking it.
  caption.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      if (!state.busy) paint({ withPickedConcept: true });
    }
  });
  const words = element("span", { className: "word-count" });
  const countWords = () => {
    const count = caption.value.trim().split(/\s+/).filter(Boolean).length;
    words.textContent = `${count}/${MAX_CAPTION_WORDS} words`;
    words.classList.toggle("over", count > MAX_CAPTION_WORDS);
  };
  caption.addEventListener("input", countWords);
  countWords();

  const premise = element("textarea", { className: "card-premise", value: concept.premise, rows: 3, maxLength: 240, ariaLabel: "Premise" });
  premise.dataset.testid = "concept-premise";

  const pick = element("button", { className: "button pick", type: "button", textContent: "Pick this" });
  pick.dataset.testid = "concept-pick";
  pick.addEventListener("click", () => pickConcept(index));

  const title = element("h3", { textContent: concept.title });
  title.dataset.testid = "concept-title";
  const card = element("article", { className: "card" }, [
    element("div", { className: "card-top" }, [
      element("span", { className: "badge", textContent: concept.device, title: "comedic device" }),
      title,
    ]),
    element("label", { className: "field" }, [element("span", { textContent: "Premise" }), premise]),
    element("label", { className: "field" }, [element("span", { className: "field-head" }, [element("span", { textContent: "Caption" }), words]), caption]),
    element("p", { className: "card-meta", textContent: `${concept.caption.lettering} lettering · ${concept.cast.map((member) => member.name).join(", ")}` }),
    ...(judgement && editor.editor !== "none" ? [editorNote(judgement, editor)] : []),
    pick,
  ]);
  card.dataset.testid = "concept-card";
  card.dataset.index = String(index);
  card.title = writer ? `written by ${writer}` : "";
  // Editing a card picks it: the edit is clearly the one the user wants painted.
  for (const field of [caption, premise]) field.addEventListener("focus", () => pickConcept(index));
  return card;
}

function pickConcept(index) {
  state.picked = index;
  document.querySelectorAll("#concepts .card").forEach((card, position) => {
    const picked = position === index;
    card.classList.toggle("picked", picked);
    card.setAttribute("aria-current", picked ? "true" : "false");
    $(".pick", card).textContent = picked ? "Picked ✓" : "Pick this";
  });
  setBusy(state.busy);
}

/** The picked concept with the card's edits applied. */
function pickedConcept() {
  const card = document.querySelectorAll("#concepts .card")[state.picked];
  const concept = structuredClone(state.concepts[state.picked]);
  concept.premise = $(".card-premise", card).value.trim();
  concept.caption.text = $(".card-caption", card).value.trim();
  return concept;
}

// ---------------------------------------------------------------------------------------------------
// Painting: a job, its progress, its gag

async function paint({ withPickedConcept }) {
  clearError();
  let body;
  try {
    if (withPickedConcept && state.picked === null) throw new ApiError("Pick a concept first.", 0);
    // A picked concept is painted for the request it was written for, whatever the box says now.
    body = withPickedConcept ? requestBody(state.request) : requestBody();
    if (withPickedConcept) {
      body.concepts = [pickedConcept()];
      delete body.writer;
    }
  } catch (error) {
    showError(error);
    return;
  }
  setBusy(true);
  const button = withPickedConcept ? $("#paint") : $("#paint-now");
  const label = button.textContent;
  button.textContent = "Sending…";
  try {
    // Sent first: a refused job (a caption too long, an unknown artist) leaves the page as it was.
    if (body.panels) delete body.concepts; // a strip is written from the request, beat by beat
    const job = await api("/api/jobs", { method: "POST", json: { ...body, n: 1 } });
    button.textContent = label;
    $("#result").hidden = true;
    $("#result-panel").hidden = false;
    $("#result-panel").scrollIntoView({ behavior: "smooth", block: "start" });
    const finished = await followJob(job);
    if (finished.status === "failed") {
      // The progress bar turns red and says why, where the user is looking.
      showProgress({ status: "failed", error: `Painting failed: ${finished.error || "the server did not say why"}` });
      return;
    }
    await showGag(await api(`/api/gallery/${encodeURIComponent(finished.gag_id)}`));
    loadGallery();
  } catch (error) {
    showError(error);
  } finally {
    button.textContent = label;
    setBusy(false);
  }
}

/** Resolves with the job once it is done or failed, updating the progress bar on the way. */
function followJob(job) {
  showProgress(job);
  // EventSource cannot send an Authorization header: with a key, or if the stream breaks, poll instead.
  if (apiKey() || !("EventSource" in window)) return pollJob(job.id);
  return new Promise((resolve, reject) => {
    const source = new EventSource(`/api/jobs/${encodeURIComponent(job.id)}/events`);
    let settled = false;
    const settle = (event) => {
      settled = true;
      source.close();
      const finished = parseJob(event);
      // The final event should carry the job; if it does not, ask for it.
      (finished && finished.status ? Promise.resolve(finished) : api(`/api/jobs/${encodeURIComponent(job.id)}`)).then(resolve, reject);
    };
    source.addEventListener("progress", (event) => {
      const update = parseJob(event);
      if (update) showProgress(update);
    });
    source.addEventListener("done", settle);
    source.addEventListener("failed", settle);
    source.onerror = () => {
      if (settled) return;
      source.close();
      pollJob(job.id).then(resolve, reject);
    };
  });
}

function parseJob(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
}

async function pollJob(id) {
  for (;;) {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}`);
    showProgress(job);
    if (job.status === "done" || job.status === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// Each stage fills its own stretch of the bar; painting is most of the wait.
const STAGES = {
  writing: { from: 0, to: 15, label: "Writing the joke" },
  painting: { from: 15, to: 85, label: "Painting" },
  lettering: { from: 85, to: 95, label: "Lettering" },
  filing: { from: 95, to: 100, label: "Filing it in the gallery" },
};

function showProgress(job) {
  const track = $("#progress .progress-track");
  const bar = $("#progress-bar");
  const label = $("#progress-label");
  let percent = 0;
  let text = "Waiting in the queue…";
  const stage = STAGES[job.stage];
  if (job.status === "done") {
    percent = 100;
    text = "Done!";
  } else if (job.status === "failed") {
    percent = 100;
    text = job.error || "Failed.";
  } else if (stage) {
    const fraction = job.total ? Math.min(1, job.done / job.total) : 0;
    percent = stage.from + (stage.to - stage.from) * fraction;
    text = job.stage === "painting" && job.total ? `${stage.label}: step ${job.done} of ${job.total}` : `${stage.label}…`;
  } else if (job.status === "running") {
    text = "Starting…";
  }
  $("#progress").classList.toggle("failed", job.status === "failed");
  $("#progress").classList.toggle("waiting", job.status === "queued");
  $("#progress").hidden = job.status === "done";
  bar.style.width = `${percent}%`;
  track.setAttribute("aria-valuenow", String(Math.round(percent)));
  label.textContent = text;
}

function currentStyle(gag) {
  return gag.lettering || gag.concept.caption.lettering;
}

async function showGag(gag) {
  state.gag = gag;
  const url = versioned(gag, gag.image_urls[0]);
  const img = $("#result-image");
  img.alt = shownTitle(gag);
  await showImage(img, url);
  $("#result-caption").textContent = gag.strip
    ? `${gag.strip.title} — a strip of ${gag.strip.panels.length} panels`
    : `“${gag.concept.caption.text}” — ${gag.concept.title}`;
  // A strip's page is lettered as a strip (balloons per panel): the single-picture styles do not apply.
  $("#lettering-buttons").hidden = Boolean(gag.strip);
  $("#lettering-buttons").previousElementSibling.hidden = Boolean(gag.strip);
  setDownload($("#result-download"), downloadUrl(gag.image_urls[0]), `sightgag-${gag.id}.png`);
  const style = currentStyle(gag);
  $("#lettering-buttons").replaceChildren(
    ...(state.info?.lettering_styles || LETTERING_STYLES).map((name) => {
      const button = element("button", { className: "segment", type: "button", textContent: name });
      button.dataset.testid = `lettering-${name}`;
      button.setAttribute("aria-pressed", String(name === style));
      button.addEventListener("click", () => reletter(name));
      return button;
    }),
  );
  $("#result-video").hidden = true;
  img.hidden = false;
  $("#result").hidden = false;
  $("#progress").hidden = true;
}

/** Animate the gag on show (the offline sketch animator) and play the clip in place of the picture. */
async function animateGag() {
  const gag = state.gag;
  if (!gag) return;
  clearError();
  const button = $("#result-animate");
  button.disabled = true;
  button.textContent = "Animating…";
  try {
    const clip = await api(`/api/gallery/${encodeURIComponent(gag.id)}/clips`, { method: "POST", json: { format: "mp4" } });
    if (state.gag !== gag) return; // another gag is on show now
    const video = $("#result-video");
    video.src = await imageUrl(clip.url);
    video.hidden = false;
    $("#result-image").hidden = true;
    await video.play();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
    button.textContent = "Animate";
  }
}

async function reletter(style) {
  const gag = state.gag;
  if (!gag || currentStyle(gag) === style) return;
  clearError();
  const buttons = document.querySelectorAll("#lettering-buttons button");
  buttons.forEach((button) => (button.disabled = true));
  $("#result").classList.add("working");
  try {
    const updated = await api(`/api/gallery/${encodeURIComponent(gag.id)}/reletter`, { method: "POST", json: { lettering: style } });
    state.imageVersion.set(gag.id, (state.imageVersion.get(gag.id) || 0) + 1);
    await showGag(updated);
    loadGallery();
  } catch (error) {
    showError(error);
  } finally {
    $("#result").classList.remove("working");
    document.querySelectorAll("#lettering-buttons button").forEach((button) => (button.disabled = false));
  }
}

// ---------------------------------------------------------------------------------------------------
// Gallery

async function loadGallery() {
  try {
    const gags = await api("/api/gallery?limit=60");
    $("#gallery-empty").hidden = gags.length > 0;
    $("#gallery").replaceChildren(...gags.map(galleryItem));
  } catch (error) {
    showError(error);
  }
}

function galleryItem(gag) {
  const img = element("img", { alt: shownTitle(gag), loading: "lazy" });
  showImage(img, versioned(gag, gag.image_urls[0]));
  const button = element("button", { type: "button", className: "gallery-button", title: gag.request }, [
    img,
    element("span", { className: "gallery-caption", textContent: shownTitle(gag) }),
  ]);
  button.addEventListener("click", () => openDetails(gag));
  const item = element("li", { className: "gallery-item" }, [button]);
  item.dataset.testid = "gallery-item";
  item.dataset.gagId = gag.id;
  return item;
}

function openDetails(gag) {
  state.details = gag;
  const concept = gag.concept;
  showImage($("#details-image"), versioned(gag, gag.image_urls[0]));
  $("#details-image").alt = shownTitle(gag);
  $("#details-request").textContent = gag.request;
  $("#details-caption").textContent = shownTitle(gag);
  $("#details-premise").textContent = concept.premise;
  $("#details-writer").textContent = gag.writer;
  $("#details-artist").textContent = gag.artist;
  $("#details-seed").textContent = String(gag.seed);
  $("#details-size").textContent = gag.size || "";
  $("#details-created").textContent = gag.created ? new Date(gag.created).toLocaleString() : "";
  setDownload($("#details-download"), downloadUrl(gag.image_urls[0]), `sightgag-${gag.id}.png`);
  setDownload($("#details-download-render"), downloadUrl(gag.image_urls[0], { clean: true }), `sightgag-${gag.id}-clean.png`);
  $("#details").showModal();
}

async function deleteDetails() {
  const gag = state.details;
  if (!gag || !confirm("Delete this gag from the gallery?")) return;
  try {
    await api(`/api/gallery/${encodeURIComponent(gag.id)}`, { method: "DELETE" });
    $("#details").close();
    loadGallery();
  } catch (error) {
    showError(error);
  }
}

// ---------------------------------------------------------------------------------------------------
// Wiring

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    if (name === "ariaLabel") node.setAttribute("aria-label", value);
    else if (name === "ariaHidden") node.setAttribute("aria-hidden", value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

function start() {
  $("#write").addEventListener("click", writeConcepts);
  $("#paint-now").addEventListener("click", () => paint({ withPickedConcept: false }));
  $("#paint").addEventListener("click", () => paint({ withPickedConcept: true }));
  $("#request").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) writeConcepts();
  });
  $("#subject-add").addEventListener("click", () => toggleSubjectForm($("#subject-form").hidden));
  $("#subject-cancel").addEventListener("click", () => toggleSubjectForm(false));
  $("#subject-form").addEventListener("submit", addSubject);
  $("#gallery-refresh").addEventListener("click", loadGallery);
  $("#details-delete").addEventListener("click", deleteDetails);
  $("#result-details").addEventListener("click", () => state.gag && openDetails(state.gag));
  $("#result-animate").addEventListener("click", animateGag);
  $("#error-close").addEventListener("click", clearError);
  $("#forget-key").addEventListener("click", () => {
    localStorage.removeItem(KEY_STORAGE);
    updateKeyButton();
  });
  // A click on the backdrop closes the details, as on most photo sites.
  $("#details").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) event.currentTarget.close();
  });
  updateKeyButton();
  setBusy(false);
  // One after another: if a key is needed, the first call asks for it and the others use it.
  loadInfo()
    .then(() => loadSubjects())
    .then(() => loadGallery())
    .catch(showError);
}

start();
