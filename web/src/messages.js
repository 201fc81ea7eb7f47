// The page's messages, rendered into it by the server from the catalog of its language
// (fabrika/shop/messages/*.toml): scripts hold no text of their own.
const texts = JSON.parse(document.getElementById("messages").textContent);

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The message `key` with its {parameters} filled in. */
export function t(key, params = {}) {
  return fill(texts[key] ?? key, params);
}

/** The message `key`, or undefined when the catalog has none. */
export function maybe(key, params = {}) {
  return key in texts ? fill(texts[key], params) : undefined;
}
