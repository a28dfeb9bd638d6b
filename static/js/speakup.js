// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

// NHS.UK frontend components only start when the page says the browser supports them
// (normally an inline script, which our Content-Security-Policy does not allow).
document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
