// Where the page keeps its tokens. The choice is the lesson: each place exposes them differently.
//  memory          a variable in this module: lost on reload, not in any storage an XSS can list
//  sessionStorage  this tab only, survives reloads, readable by any script on this origin
//  localStorage    every tab, survives restarts, readable by any script on this origin
const KEYS = ["access_token", "refresh_token"];
const memory = {};
let where = localStorage.getItem("lab.storage") || "memory";

export function location() { return where; }

export function choose(place) {
  const tokens = load();
  clear();
  where = place;
  localStorage.setItem("lab.storage", place); // only the preference, never a token
  if (tokens.access_token) save(tokens);
}

export function save(tokens) {
  for (const k of KEYS) {
    if (where === "memory") memory[k] = tokens[k];
    else window[where].setItem(`lab.${k}`, tokens[k]);
  }
}

export function load() {
  // A token left in storage by an earlier visit is picked up wherever it is.
  for (const place of ["sessionStorage", "localStorage"]) {
    if (where === "memory" && window[place].getItem("lab.access_token")) where = place;
  }
  const out = {};
  for (const k of KEYS) {
    out[k] = where === "memory" ? memory[k] : window[where].getItem(`lab.${k}`);
  }
  return out;
}

export function clear() {
  for (const k of KEYS) {
    delete memory[k];
    sessionStorage.removeItem(`lab.${k}`);
    localStorage.removeItem(`lab.${k}`);
  }
}
