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
// then its value.
window.addEventListener("load", () => {
  for (const box of document.querySelectorAll(".select2-selection[role=combobox]")) {
    const select = box.closest(".select2-container")?.previousElementSibling;
    const label = select?.id && document.querySelector(`label[for="${select.id}"]`);
    if (!label) continue;
    if (!label.id) label.id = `${select.id}-label`;
    const value = box.querySelector("[role=textbox]");
    box.setAttribute("aria-labelledby", [label.id, value?.id].filter(Boolean).join(" "));
    if (value) value.setAttribute("aria-label", label.textContent.replace(/:\s*$/, "").trim());
  }
});
