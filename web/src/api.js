// Calls to the shop's public API, and its problems (RFC 9457) told in the page's language.
import { maybe, t } from "./messages.js";

/** {ok, status, body}: body is the JSON answer, or the problem; never throws. */
export async function send(method, url, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json, application/problem+json", ...headers } };
  if (body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    return { ok: false, status: 0, body: { code: "network" } };
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { detail: text };
  }
  return { ok: response.ok, status: response.status, body: parsed };
}

/** The keys a problem may be known by, most specific first: its code, then its type's
 * last path segment (as fabrika/shop/problems.py). */
function problemKeys(problem) {
  const keys = [];
  if (problem?.code) keys.push(String(problem.code));
  const type = String(problem?.type ?? "");
  if (type && type !== "about:blank") keys.push(type.replace(/\/$/, "").split("/").pop());
  return keys;
}

/** What went wrong, in the page's language when the problem is known; else the server's words. */
export function problemText(problem, params = {}) {
  for (const key of problemKeys(problem)) {
    const text = maybe(`problems.${key}`, params);
    if (text) return text;
  }
  return problem?.detail || t("problems.unknown");
}
