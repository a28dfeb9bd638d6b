// Live updates. Progressive enhancement only: every page works without JavaScript.
//
// A page marks a region with data-live-socket="/ws/...". When the socket says something
// changed (it sends ids and kinds, never content), parts of the page are refetched from the
// server and replaced in place: those named by data-live-refetch="id id ...", or the region
// itself when data-live-refetch is empty and the region has an id. Without data-live-refetch,
// or for an event whose kind is not in data-live-kinds (when the region lists some), an
// accessible banner offers a reload as well. The region's data-live-state says "open" while
// its socket is connected.
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

function targets(region) {
  if (!region.hasAttribute("data-live-refetch")) return [];
  const ids = region.getAttribute("data-live-refetch").trim();
  if (!ids) return region.id ? [region] : [];
  return ids.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean);
}

function typingIn(element) {
  const active = document.activeElement;
  return element.contains(active) && active.matches("input, textarea, select");
}

async function refetch(region, kinds = []) {
  const parts = targets(region);
  const listed = (region.getAttribute("data-live-kinds") || "").split(/\s+/).filter(Boolean);
  if (!parts.length || (listed.length && kinds.some((k) => !listed.includes(k)))) {
    banner(region);
    if (!parts.length) return;
  }
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "live-update" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const part of parts) {
      const fresh = doc.getElementById(part.id);
      if (!fresh) throw new Error("region gone");
      // Keep the user's place: do not replace what they are typing in.
      if (typingIn(part)) {
        banner(region);
        continue;
      }
      part.innerHTML = fresh.innerHTML;
    }
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
      region.setAttribute("data-live-state", "open");
      if (everOpened) refetch(region); // we may have missed something while away
      everOpened = true;
      failures = 0;
    });
    let kinds = [];
    socket.addEventListener("message", (event) => {
      try {
        kinds.push(String(JSON.parse(event.data).kind || ""));
      } catch {
        kinds.push("");
      }
      clearTimeout(timer);
      // Several events often arrive together; fetch once.
      timer = setTimeout(() => {
        refetch(region, kinds);
        kinds = [];
      }, 150);
    });
    socket.addEventListener("close", () => {
      region.setAttribute("data-live-state", "closed");
      failures += 1;
      if (!opened && !everOpened && failures >= GIVE_UP_AFTER) return;
      const backoff = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(failures, 6));
      setTimeout(open, backoff / 2 + Math.random() * (backoff / 2));
    });
  };
  open();
}

document.querySelectorAll("[data-live-socket]").forEach(connect);
