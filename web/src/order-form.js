// The order form of the quote page: the customer's details sent with the parts; the
// server's problems shown beside the fields they are about, in the page's language.
import { problemText, send } from "./api.js";
import { maybe, t } from "./messages.js";

const $ = (id) => document.getElementById(id);

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

/** Places the order of `items()` from the form; shows the order's page or what to fix. */
export async function placeOrder(event, items) {
  event.preventDefault();
  FIELDS.forEach((field) => showFieldError(field, ""));
  $("order-error").textContent = "";
  const wanted = items();
  if (!wanted.length) {
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
    items: wanted,
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
