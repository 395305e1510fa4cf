// Small page helpers (no inline scripts: the pages' Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
