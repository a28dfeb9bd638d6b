// The admin's "filter" widget (SelectFilter2) puts aria-label on a bare <span>, where ARIA
// forbids it (axe aria-prohibited-attr): give the icon the image role its label describes.
// The widget is built on "load", by a listener registered before this one.
window.addEventListener("load", () => {
  for (const icon of document.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
    icon.setAttribute("role", "img");
  }
});
