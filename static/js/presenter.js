// Presenter mode, for a projector: large type, panels that fold with a click on their title,
// and the keyboard to walk through a page's steps: → or n (next), ← or p (previous),
// Enter (a guided step's "Show me", else the current step's button). Remembered in
// localStorage (a preference, no secret).
const KEY = "lab.presenter";
const root = document.documentElement;
const button = document.getElementById("presenter-toggle");

function apply(on) {
  root.classList.toggle("presenter", on);
  if (button) button.setAttribute("aria-pressed", String(on));
}

apply(localStorage.getItem(KEY) === "1");
button?.addEventListener("click", () => {
  const on = !root.classList.contains("presenter");
  localStorage.setItem(KEY, on ? "1" : "0");
  apply(on);
});

// The steps of a page: a lab's numbered steps if it has them, else its cards.
const steps = () => [...document.querySelectorAll("li.step")].filter((el) => el.offsetParent !== null)
  .concat(document.querySelectorAll("li.step").length ? [] : [...document.querySelectorAll("main section.card")]);
let current = -1;

function focusStep(index) {
  const all = steps();
  if (!all.length) return;
  current = Math.max(0, Math.min(all.length - 1, index));
  all.forEach((el, i) => el.classList.toggle("presenter-current", i === current));
  all[current].scrollIntoView({ block: "center", behavior: "smooth" });
}

document.addEventListener("keydown", (event) => {
  if (!root.classList.contains("presenter")) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === "ArrowRight" || event.key === "n") { focusStep(current + 1); event.preventDefault(); }
  else if (event.key === "ArrowLeft" || event.key === "p") { focusStep(current - 1); event.preventDefault(); }
  else if (event.key === "Enter" && current >= 0) {
    // A guided step's "Show me" first; else the step's first enabled button.
    const step = steps()[current];
    const run = step?.querySelector("[data-guide-run]:not([disabled]):not([hidden])")
      ?? step?.querySelector("button:not([disabled]):not([hidden])");
    if (run) { run.click(); event.preventDefault(); }
  }
});

document.addEventListener("click", (event) => {
  const title = event.target.closest("main section.card > h2");
  if (title && root.classList.contains("presenter")) title.parentElement.classList.toggle("folded");
});
