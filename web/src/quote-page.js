// The quote page: parts uploaded to the shop's API, shown in 3D, priced by a quote job
// whose progress is shown, re-priced when an option changes, then ordered.
import { problemText, send } from "./api.js";
import { date, money, number, sizes } from "./format.js";
import { maybe, t } from "./messages.js";

const $ = (id) => document.getElementById(id);
const page = $("quote-page");
const catalog = JSON.parse($("catalog-data").textContent);
const processes = new Map(catalog.processes.map((process) => [process.id, process]));
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

function showQuoteState(message, progress) {
  $("quote-message").textContent = message;
  const bar = $("quote-progress");
  bar.hidden = progress === undefined;
  if (progress?.total) {
    bar.max = progress.total;
    bar.value = progress.done;
  } else {
    bar.removeAttribute("value");
  }
}

function clearQuote(state) {
  const price = $("price");
  price.textContent = "";
  price.dataset.state = state;
  delete price.dataset.amount;
  $("lead-time").hidden = true;
  $("quote-range").textContent = "";
  $("quote-warnings").replaceChildren();
  $("quote-lines").replaceChildren();
  $("earliest").textContent = t("order_form.due_unknown");
  $("due_date").removeAttribute("min");
}

async function runQuote() {
  const run = quoteRun;
  const wanted = items();
  clearQuote(wanted.length ? "running" : "empty");
  if (!wanted.length) return showQuoteState(t("quote.no_parts"));
  showQuoteState(t("quote.running"), {});
  const started = await send("POST", "/api/v1/quotes", { items: wanted });
  if (run !== quoteRun) return;
  if (!started.ok) return showRefusal(started.body);
  let job = started.body;
  const url = job.status_url ?? `/api/v1/quotes/${job.id}`;
  for (let poll = 0; poll < POLLS && !ENDED.has(job.status); poll += 1) {
    const progress = job.progress ?? {};
    const message = progress.total > 2 ? t("quote.running_progress", progress) : t(job.status === "queued" ? "quote.queued" : "quote.running");
    showQuoteState(message, progress);
    const polled = await send("GET", `${url}?wait_s=5`);
    if (run !== quoteRun) return;
    if (!polled.ok) return showRefusal(polled.body);
    job = polled.body;
  }
  if (job.status === "done") showQuote(job.quote);
  else showRefusal(job.error ?? { code: "quote_failed" });
}

function showRefusal(problem) {
  clearQuote("refused");
  showQuoteState(problemText(problem, { max_mb: maxMb }));
}

function lineElement(line, currency) {
  const element = $("line-template").content.firstElementChild.cloneNode(true);
  element.querySelector("[data-slot=title]").textContent = t("quote.line_title", {
    quantity: number(line.quantity),
    material: catalog.materials[line.material]?.name ?? line.material,
    process: processes.get(line.process)?.name ?? line.process,
    finish: catalog.finishes[line.finish]?.name ?? line.finish,
  });
  element.querySelector("[data-slot=total]").textContent = money(line.line_total, currency);
  const rows = [[t("quote.unit_price"), line.unit_price], ...line.breakdown.map((row) => [breakdownLabel(row.label), row.amount])];
  element.querySelector("[data-slot=rows]").replaceChildren(
    ...rows.map(([label, amount]) => {
      const row = $("row-template").content.firstElementChild.cloneNode(true);
      row.querySelector("[data-slot=label]").textContent = label;
      row.querySelector("[data-slot=amount]").textContent = money(amount, currency);
      return row;
    }),
  );
  return element;
}

/** A breakdown line named by its kind, the English label's head (as fabrika/shop/problems.py). */
function breakdownLabel(label) {
  const head = label.split(":")[0].trim().toLowerCase().replace(/ /g, "_");
  return maybe(`breakdown.${head}`) ?? label;
}

function showQuote(quote) {
  const price = $("price");
  price.textContent = money(quote.total, quote.currency);
  price.dataset.state = "done";
  price.dataset.amount = String(quote.total);
  performance.mark("fabrika:price-shown");
  showQuoteState(maybe(`quote.method_${quote.method}`) ?? "");
  if (quote.range) $("quote-range").textContent = t("quote.range", { low: money(quote.range.low, quote.currency), high: money(quote.range.high, quote.currency) });
  $("lead-time").hidden = false;
  $("ready-by").textContent = quote.ready_by ? date(quote.ready_by) : "—";
  $("production-hours").textContent = t("quote.hours", { hours: number(quote.production_hours) });
  $("quote-warnings").replaceChildren(
    ...(quote.warnings ?? []).map((warning) => {
      const process = processes.get(warning.process)?.name;
      const text = problemText(warning);
      return Object.assign(document.createElement("li"), { textContent: process ? `${process}: ${text}` : text });
    }),
  );
  $("quote-lines").replaceChildren(...quote.lines.map((line) => lineElement(line, quote.currency)));
  const earliest = quote.earliest_date ?? quote.ready_by;
  if (earliest) {
    $("earliest").textContent = date(earliest);
    $("due_date").min = earliest.slice(0, 10);
  }
}

// Ordering

const FIELDS = ["email", "name", "due_date"];

function showFieldError(field, text) {
  const input = $(field);
  $(`${field}-error`).textContent = text ?? "";
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function showOrderProblem(problem) {
  $("order-error").textContent = problemText(problem);
  let first = null;
  for (const error of problem.errors ?? []) {
    const field = String(error.pointer ?? "").split("/").pop();
    if (!FIELDS.includes(field)) continue;
    showFieldError(field, maybe(`fields.${field}`) ?? error.detail);
    first ??= $(field);
  }
  first?.focus();
}

async function placeOrder(event) {
  event.preventDefault();
  FIELDS.forEach((field) => showFieldError(field, ""));
  $("order-error").textContent = "";
  if (!parts.length) {
    $("order-error").textContent = t("order_form.no_parts");
    return;
  }
  const button = event.submitter ?? $("order-form").querySelector("[type=submit]");
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t("order_form.placing");
  const form = new FormData($("order-form"));
  const body = {
    customer: { email: form.get("email").trim(), name: form.get("name").trim(), language: form.get("language") },
    items: items(),
    ...(form.get("due_date") ? { due_date: form.get("due_date") } : {}),
  };
  const answer = await send("POST", "/api/v1/orders", body);
  if (answer.ok) {
    window.location.assign(`/orders/${answer.body.id}`);
    return;
  }
  button.disabled = false;
  button.textContent = label;
  showOrderProblem(answer.body);
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
$("order-form").addEventListener("submit", placeOrder);
$("earliest").textContent = t("order_form.due_unknown");
