// The quote page: parts uploaded to the shop's API, shown in 3D, priced by a quote job
// whose progress is shown, re-priced when an option changes, then ordered.
import { problemText, send } from "./api.js";
import { catalog, processes } from "./catalog.js";
import { number, sizes } from "./format.js";
import { t } from "./messages.js";
import { placeOrder } from "./order-form.js";
import { clearQuote, showQuote, showQuoteState, showRefusal } from "./quote-view.js";

const $ = (id) => document.getElementById(id);

const page = $("quote-page");
const maxBytes = Number(page.dataset.maxModelBytes);
const maxMb = Math.floor(maxBytes / 1048576);
const ENDED = new Set(["done", "refused", "failed", "cancelled"]);
const POLLS = 60; // long polls of up to 5 s each: a quote job gets five minutes
const QUOTE_DELAY_MS = 150; // options changed in a burst (typing a quantity) price once

const parts = [];
let selected = null;
let viewer = null;
let shownToken = null;
let quoteRun = 0;
let quoteTimer = null;

// Options

function fillSelect(select, ids, entries, chosen) {
  const options = ids.map((id) => new Option(entries[id]?.name ?? id, id));
  select.replaceChildren(...options);
  select.value = ids.includes(chosen) ? chosen : ids[0];
}

function fillForProcess(processId, material, finish) {
  const process = processes.get(processId);
  fillSelect($("material"), process.materials, catalog.materials, material);
  fillSelect($("finish"), process.finishes, catalog.finishes, finish);
}

function chosenOptions() {
  const quantity = Math.max(1, Math.min(10000, Math.round(Number($("quantity").value)) || 1));
  return { process: $("process").value, material: $("material").value, finish: $("finish").value, quantity };
}

function showOptions(options) {
  $("process").value = options.process;
  fillForProcess(options.process, options.material, options.finish);
  $("quantity").value = String(options.quantity);
}

async function onOptionsChanged(event) {
  if (event.target.id === "process") {
    fillForProcess($("process").value, $("material").value, $("finish").value);
    if (viewer && shownToken) (await viewer).setPlate(processes.get($("process").value).plate_mm);
  }
  if (selected) {
    selected.options = chosenOptions();
    describePart(selected);
  }
  explainFit();
  scheduleQuote();
}

// Whether a part fits a machine in some axis-aligned orientation: it does exactly when its
// sorted sizes each fit the machine's sorted sizes (as fabrika.mes.geometry.fits).
function fitsIn(bbox, volume) {
  const part = [...bbox].sort((a, b) => a - b);
  const room = [...volume].sort((a, b) => a - b);
  return part.every((size, axis) => size <= room[axis]);
}

const volume = (machine) => machine.build_volume_mm.reduce((product, size) => product * size);

function largestMachine(process) {
  return process.machines.reduce((largest, machine) => (volume(machine) > volume(largest) ? machine : largest));
}

/** Processes whose machines are all too small for the selected part stay in the list,
 * marked, and are explained below it. */
function explainFit() {
  const bbox = selected?.model?.bbox_mm;
  const notes = [];
  for (const option of $("process").options) {
    const process = processes.get(option.value);
    const fits = !bbox || process.machines.some((machine) => fitsIn(bbox, machine.build_volume_mm));
    option.textContent = fits ? process.name : t("quote.too_small", { process: process.name });
    if (!fits) {
      const largest = sizes(largestMachine(process).build_volume_mm);
      notes.push(t("quote.does_not_fit", { process: process.name, largest, size: sizes(bbox) }));
    }
  }
  $("process-fit").textContent = bbox ? (notes.length ? notes.join(" ") : t("quote.fits_all")) : "";
}

// Parts

function showFileError(text) {
  $("file-error").textContent = text;
}

function describePart(part) {
  const { process, material, quantity } = part.options;
  part.row.querySelector("[data-slot=summary]").textContent = t("quote.part_summary", {
    size: sizes(part.model.bbox_mm),
    material: catalog.materials[material]?.name ?? material,
    process: processes.get(process)?.name ?? process,
    quantity: number(quantity),
  });
}

function addPartRow(part) {
  const row = $("part-template").content.firstElementChild.cloneNode(true);
  row.querySelector("[data-slot=name]").textContent = part.name;
  const choose = row.querySelector("[data-slot=select]");
  choose.addEventListener("click", () => selectPart(part));
  const remove = row.querySelector("[data-slot=remove]");
  remove.setAttribute("aria-label", t("quote.remove_part", { name: part.name }));
  remove.addEventListener("click", () => removePart(part));
  part.row = row;
  $("parts").append(row);
  describePart(part);
}

function selectPart(part) {
  selected = part;
  for (const other of parts) other.row.querySelector("[data-slot=select]").setAttribute("aria-pressed", String(other === part));
  $("options-for").textContent = part ? t("quote.options_for", { name: part.name }) : t("quote.options_default");
  $("dimensions").textContent = part ? `${sizes(part.model.bbox_mm)} ${t("units.mm")}` : "—";
  if (part) {
    showOptions(part.options);
    if (shownToken !== part.token) preview(part.token, part.file, part.name, part.options.process);
  } else {
    clearPreview();
  }
  explainFit();
}

function removePart(part) {
  parts.splice(parts.indexOf(part), 1);
  part.row.remove();
  if (selected === part) selectPart(parts.at(-1) ?? null);
  scheduleQuote();
}

async function addFile(file) {
  showFileError("");
  if (file.size > maxBytes) {
    showFileError(`${file.name}: ${problemText({ code: "too_large" }, { max_mb: maxMb })}`);
    return;
  }
  const part = { token: Symbol(file.name), name: file.name, file, options: chosenOptions(), model: null };
  $("upload-status").textContent = t("quote.uploading", { name: file.name });
  performance.mark("fabrika:model-chosen");
  // The file uploads while it is read and drawn: a large model is seen before it is measured.
  const uploading = send("POST", "/api/v1/models", file, { "Content-Type": "model/stl" });
  loadViewer().catch(() => {}); // failures are shown by preview()
  preview(part.token, file, part.name, part.options.process);
  const answer = await uploading;
  $("upload-status").textContent = "";
  if (!answer.ok) {
    showFileError(`${file.name}: ${problemText(answer.body, { max_mb: maxMb })}`);
    if (shownToken === part.token) selectPart(selected);
    return;
  }
  part.model = answer.body;
  $("upload-status").textContent = t("quote.uploaded", { name: file.name });
  parts.push(part);
  addPartRow(part);
  selectPart(part);
  scheduleQuote(0);
}

async function addFiles(files) {
  for (const file of files) await addFile(file);
}

// Preview

function loadViewer() {
  viewer ??= import("./viewer.js").then(({ Viewer }) => new Viewer($("model-preview")));
  return viewer;
}

async function preview(token, file, name, processId) {
  const container = $("model-preview");
  shownToken = token;
  container.dataset.state = "loading";
  try {
    const shown = await loadViewer();
    if (shownToken !== token) return;
    $("viewer-tools").hidden = false;
    await shown.show(file, processes.get(processId).plate_mm, t("viewer.label", { name }));
    if (shownToken === token) performance.mark("fabrika:preview-shown");
  } catch (error) {
    if (shownToken !== token) return; // another part is shown instead
    console.error(error);
    container.dataset.state = "unavailable";
    container.replaceChildren(Object.assign(document.createElement("p"), { textContent: t("viewer.unavailable") }));
  }
}

function clearPreview() {
  shownToken = null;
  const container = $("model-preview");
  container.dataset.state = "empty";
  container.replaceChildren(Object.assign(document.createElement("p"), { className: "viewer-empty", textContent: t("quote.preview_empty") }));
  $("viewer-tools").hidden = true;
}

async function onViewTool(event) {
  const action = event.target.closest("[data-view]")?.dataset.view;
  if (!action || !viewer) return;
  const shown = await viewer;
  if (action === "reset") shown.reset();
  else shown.zoom(action === "zoom-in");
}

// Quote

function items() {
  return parts.map((part) => ({ ...part.options, model_id: part.model.id }));
}

function scheduleQuote(delay = QUOTE_DELAY_MS) {
  clearTimeout(quoteTimer);
  quoteRun += 1;
  quoteTimer = setTimeout(runQuote, delay);
}

async function runQuote() {
  const run = quoteRun;
  const wanted = items();
  clearQuote(wanted.length ? "running" : "empty");
  if (!wanted.length) return showQuoteState(t("quote.no_parts"));
  showQuoteState(t("quote.running"), {});
  const started = await send("POST", "/api/v1/quotes", { items: wanted });
  if (run !== quoteRun) return;
  if (!started.ok) return showRefusal(started.body, { max_mb: maxMb });
  let job = started.body;
  const url = job.status_url ?? `/api/v1/quotes/${job.id}`;
  for (let poll = 0; poll < POLLS && !ENDED.has(job.status); poll += 1) {
    const progress = job.progress ?? {};
    const message = progress.total > 2 ? t("quote.running_progress", progress) : t(job.status === "queued" ? "quote.queued" : "quote.running");
    showQuoteState(message, progress);
    const polled = await send("GET", `${url}?wait_s=5`);
    if (run !== quoteRun) return;
    if (!polled.ok) return showRefusal(polled.body, { max_mb: maxMb });
    job = polled.body;
  }
  if (job.status === "done") showQuote(job.quote);
  else showRefusal(job.error ?? { code: "quote_failed" });
}

// Wiring

$("model-file").addEventListener("change", (event) => {
  addFiles([...event.target.files]);
  event.target.value = "";
});
const dropzone = $("dropzone");
dropzone.addEventListener("dragover", (event) => {
  event.preventDefault();
  dropzone.classList.add("dragging");
});
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dragging"));
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropzone.classList.remove("dragging");
  addFiles([...event.dataTransfer.files]);
});
$("options").addEventListener("change", onOptionsChanged);
$("quantity").addEventListener("input", onOptionsChanged);
$("viewer-tools").addEventListener("click", onViewTool);
$("order-form").addEventListener("submit", (event) => placeOrder(event, items));
$("earliest").textContent = t("order_form.due_unknown");
