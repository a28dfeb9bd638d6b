// The receipt page's copy and print buttons: shown only when JavaScript can do them (the
// download works without it).
const copy = document.getElementById("receipt-copy");
const print = document.getElementById("receipt-print");
const said = document.getElementById("receipt-copied");
const value = document.getElementById("receipt-code-value");

if (copy && value && navigator.clipboard) {
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value.value);
      said.textContent = "Copied. Paste it somewhere safe and private.";
    } catch (ignored) {
      said.textContent = "Your browser did not let us copy it: write it down or download it.";
    }
  });
}
if (print) {
  print.hidden = false;
  print.addEventListener("click", () => window.print());
}
