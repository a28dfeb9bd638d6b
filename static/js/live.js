// Live updates. Progressive enhancement only: every page works without JavaScript.
//
// A page marks a region with data-live-socket="/ws/...". When the socket says something
// changed (it sends ids and kinds, never content), the region is refetched from the server if
// it also has data-live-refetch and an id, otherwise an accessible banner offers a reload.
// After a dropped socket we reconnect with back-off and refetch, since messages sent while
// we were away are lost: the socket is never the record, the page is.

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const GIVE_UP_AFTER = 8; // consecutive failures without ever opening (e.g. not allowed)

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

function banner(region) {
  let note = region.querySelector("[data-live-banner]");
  if (!note) {
    note = document.createElement("div");
    note.className = "nhsuk-inset-text";
    note.setAttribute("data-live-banner", "");
    note.setAttribute("role", "status");
    note.setAttribute("aria-live", "polite");
    const text = document.createElement("p");
    text.append("New activity – ");
    const link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = "reload to see it";
    link.addEventListener("click", (e) => {
      e.preventDefault();
      window.location.reload();
    });
    text.append(link);
    text.append(".");
    note.append(text);
    region.prepend(note);
  }
}

async function refetch(region) {
  if (!region.hasAttribute("data-live-refetch") || !region.id) {
    banner(region);
    return;
  }
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "live-update" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById(region.id);
    if (!fresh) throw new Error("region gone");
    // Keep the user's place: do not replace the region while they are typing in it.
    if (region.contains(document.activeElement) && document.activeElement.matches("input, textarea, select")) {
      banner(region);
      return;
    }
    region.innerHTML = fresh.innerHTML;
    announce(region, "Updated with new activity.");
  } catch {
    banner(region);
  }
}

function announce(region, message) {
  let live = region.querySelector("[data-live-announce]");
  if (!live) {
    live = document.createElement("p");
    live.className = "nhsuk-u-visually-hidden";
    live.setAttribute("data-live-announce", "");
    live.setAttribute("aria-live", "polite");
    region.append(live);
  }
  live.textContent = message;
}

function connect(region) {
  const path = region.getAttribute("data-live-socket");
  if (!path || !path.startsWith("/ws/") || !("WebSocket" in window)) return;
  let failures = 0;
  let everOpened = false;
  let timer = null;

  const open = () => {
    const socket = new WebSocket(socketUrl(path));
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      if (everOpened) refetch(region); // we may have missed something while away
      everOpened = true;
      failures = 0;
    });
    socket.addEventListener("message", () => {
      clearTimeout(timer);
      // Several events often arrive together; fetch once.
      timer = setTimeout(() => refetch(region), 150);
    });
    socket.addEventListener("close", () => {
      failures += 1;
      if (!opened && !everOpened && failures >= GIVE_UP_AFTER) return;
      const backoff = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(failures, 6));
      setTimeout(open, backoff / 2 + Math.random() * (backoff / 2));
    });
  };
  open();
}

document.querySelectorAll("[data-live-socket]").forEach(connect);
