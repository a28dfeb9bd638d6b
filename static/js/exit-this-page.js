// "Exit this page": leave at once, with nothing of this visit left on screen or in Back.
// Progressive enhancement of a plain link (the link alone works without JavaScript).
const link = document.getElementById("exit-this-page");

function exitNow(event) {
  if (event) event.preventDefault();
  const to = link.href;
  document.title = "Loading";
  document.body.replaceChildren();
  try {
    sessionStorage.clear();
  } catch (ignored) {
    // storage may be off
  }
  window.location.replace(to);
}

if (link) {
  link.addEventListener("click", exitNow);
  let presses = 0;
  let timer = null;
  document.addEventListener("keyup", (event) => {
    if (event.key !== "Shift") return;
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(() => { presses = 0; }, 5000);
    if (presses >= 3) exitNow(null);
  });
  const hint = document.createElement("span");
  hint.className = "nhsuk-u-visually-hidden";
  hint.textContent = " (or press Shift 3 times)";
  link.append(hint);
}
