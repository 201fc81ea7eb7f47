// The price panel of the quote page: a quote job's progress, then its total, breakdown,
// lead time and warnings, or why it was refused.
import { problemText } from "./api.js";
import { catalog, processes } from "./catalog.js";
import { date, money, number } from "./format.js";
import { maybe, t } from "./messages.js";

const $ = (id) => document.getElementById(id);

export function showQuoteState(message, progress) {
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

export function clearQuote(state) {
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

export function showRefusal(problem, params = {}) {
  clearQuote("refused");
  showQuoteState(problemText(problem, params));
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

export function showQuote(quote) {
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
