// The admin's "filter" widget (SelectFilter2) puts aria-label on a bare <span>, where ARIA
// forbids it (axe aria-prohibited-attr): give the icon the image role its label describes.
// The widget is built on "load", by a listener registered before this one.
window.addEventListener("load", () => {
  for (const icon of document.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
    icon.setAttribute("role", "img");
  }
});

// An autocomplete field (select2) shows a combobox whose name points only at its current
// value, empty until one is chosen (axe aria-input-field-name): name it by the field's label,
// then its value. select2 may be built before or after "load", and rebuilds its box when the
// value changes, so the names are (re)given whenever the page's elements change.
function nameAutocompletes() {
  for (const box of document.querySelectorAll(".select2-selection[role=combobox]")) {
    // select2 names its value's box after the field: select2-<field id>-container
    const value = box.querySelector("[role=textbox]");
    const field = value?.id.replace(/^select2-/, "").replace(/-container$/, "");
    const label = field && document.querySelector(`label[for="${field}"]`);
    if (!label) continue;
    if (!label.id) label.id = `${field}-label`;
    const names = [label.id, value.id].join(" ");
    if (box.getAttribute("aria-labelledby") !== names) box.setAttribute("aria-labelledby", names);
    const text = label.textContent.replace(/:\s*$/, "").trim();
    if (value.getAttribute("aria-label") !== text) value.setAttribute("aria-label", text);
  }
}
window.addEventListener("load", () => {
  nameAutocompletes();
  new MutationObserver(nameAutocompletes).observe(document.body, { childList: true, subtree: true });
});
