// An order's page, live: the server's events for the order (Server-Sent Events) when the
// shop offers them, else polling the order's API; on a change, the panel is rendered
// again by the server and replaced, without reloading the page.
import { problemText, send } from "./api.js";
import { t } from "./messages.js";

const root = document.getElementById("order");
const orderId = root.dataset.orderId;
const lang = document.documentElement.lang;
const STATUSES = ["NEW", "REGISTERED", "QUOTED", "CONFIRMED", "RESERVED", "ACCEPTED", "CANCELLED"];
const POLL_MS = 1000;
let poller = null;
let events = null;

const panel = () => root.querySelector("[data-version]");
const live = () => panel()?.dataset.live === "true";

function stop() {
  clearInterval(poller);
  events?.close();
  poller = events = null;
}

async function refresh() {
  let response;
  try {
    response = await fetch(`/orders/${orderId}/panel?lang=${lang}`, { headers: { Accept: "text/html" } });
  } catch {
    return;
  }
  if (!response.ok) return;
  const fresh = document.createElement("template");
  fresh.innerHTML = await response.text();
  const version = fresh.content.querySelector("[data-version]")?.dataset.version;
  if (!version || version === panel()?.dataset.version) return;
  const focused = root.contains(document.activeElement);
  root.replaceChildren(fresh.content);
  if (focused) document.getElementById("status-heading")?.focus();
  if (!live()) stop();
}

async function poll() {
  const answer = await send("GET", `/api/v1/orders/${orderId}`);
  if (answer.ok && `${answer.body.status}-${answer.body.history.length}` !== panel()?.dataset.version) await refresh();
}

function startPolling() {
  events = null;
  if (!poller && live()) poller = setInterval(poll, POLL_MS);
}

function follow() {
  if (!live()) return;
  if (!("EventSource" in window)) return startPolling();
  events = new EventSource(`/api/v1/orders/${orderId}/events`);
  events.addEventListener("open", refresh);
  events.addEventListener("message", refresh);
  for (const status of STATUSES) events.addEventListener(`order.${status.toLowerCase()}`, refresh);
  // A stream the shop does not offer (not 200 text/event-stream) closes the source for good;
  // a dropped connection leaves it reconnecting by itself.
  events.addEventListener("error", () => {
    if (events?.readyState === EventSource.CLOSED) startPolling();
  });
}

async function act(event) {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  const buttons = root.querySelectorAll("[data-action]");
  buttons.forEach((each) => (each.disabled = true));
  const label = button.textContent;
  button.textContent = t("order.working");
  const answer = await send("POST", `/api/v1/orders/${orderId}/${button.dataset.action}`);
  if (answer.ok) {
    await refresh();
    return;
  }
  buttons.forEach((each) => (each.disabled = false));
  button.textContent = label;
  const error = document.getElementById("action-error");
  if (error) error.textContent = problemText(answer.body);
  await refresh();
}

root.addEventListener("click", act);
follow();
