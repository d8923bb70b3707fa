// The notification bell: signs in as a user (a local token, or a given WebSocket URL and token for a deployed
// stack), connects to the notifications WebSocket API, asks for the unread list on every (re)connect, keeps the
// badge and the inbox from the frames, and marks items read. Protocol: services/notifications/asyncapi.yaml.

const $ = (selector) => document.querySelector(selector);
const inbox = new Map(); // id -> notification, unread only
let unread = 0;
let socket;
let session;
let retry = 0;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function render() {
  const badge = $("#badge");
  badge.hidden = unread === 0;
  badge.textContent = unread > 99 ? "99+" : String(unread);
  $("#bell").setAttribute(
    "aria-label",
    unread === 0 ? "No unread notifications" : `${unread} unread notifications`,
  );
  document.title = unread > 0 ? `(${unread}) Switchyard notifications` : "Switchyard notifications";
  $("#inbox-count").textContent = `(${unread} unread)`;
  $("#mark-all").disabled = unread === 0 || !socket || socket.readyState !== WebSocket.OPEN;
  const items = [...inbox.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  $("#inbox").replaceChildren(
    ...items.map((n) =>
      el(
        "li",
        { "data-id": n.id },
        el("span", {}, n.message, " ", el("a", { href: n.callback, rel: "noopener" }, "open")),
        el(
          "button",
          { type: "button", onclick: () => markRead([n.id]), "aria-label": `Mark "${n.message}" read` },
          "Mark read",
        ),
      ),
    ),
  );
}

function setConnection(text, open) {
  const c = $("#connection");
  c.textContent = text;
  c.className = open ? "conn-open" : "conn-closed";
}

function send(frame) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

function markRead(ids) {
  // The server answers unreadCount to this tab and every other connection of the user.
  if (ids) for (const id of ids) inbox.delete(id);
  else inbox.clear();
  send(ids ? { action: "markRead", ids } : { action: "markRead", all: true });
  render();
}
$("#mark-all").addEventListener("click", () => markRead(undefined));

function onFrame(frame) {
  switch (frame.type) {
    case "unreadList":
      inbox.clear();
      for (const n of frame.notifications ?? []) inbox.set(n.id, n);
      unread = frame.unreadCount;
      break;
    case "actionable":
      // A retried delivery repeats the frame: the id de-duplicates it.
      inbox.set(frame.id, frame);
      unread = typeof frame.unreadCount === "number" ? frame.unreadCount : inbox.size;
      break;
    case "unreadCount":
      unread = frame.unreadCount;
      // Read in another tab: fetch the list again so this inbox matches.
      if (unread < inbox.size || unread === 0) send({ action: "listUnread" });
      break;
    case "feedback": {
      const list = $("#feedback");
      list.prepend(el("li", {}, `${new Date().toLocaleTimeString()} ${frame.message}`));
      while (list.children.length > 20) list.lastElementChild.remove();
      break;
    }
    case "error":
      setConnection(`Server: ${frame.message}`, true);
      break;
    default:
      break;
  }
  render();
}

async function connect() {
  const { userId } = session;
  let url = session.url;
  let token = session.token;
  try {
    if (!url) {
      const outputs = await (await fetch("/_local/outputs")).json();
      url = outputs.outputs.notificationsWebSocketUrl;
      if (!url) throw new Error("the stack has no notificationsWebSocketUrl output");
    }
    if (!token) {
      const res = await fetch(`/_local/token?userId=${encodeURIComponent(userId)}`);
      if (!res.ok) throw new Error(`no local token (${res.status})`);
      token = (await res.json()).token;
    }
  } catch (error) {
    setConnection(`Cannot sign in: ${error.message}`, false);
    return;
  }
  setConnection("Connecting…", false);
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
  socket = ws;
  ws.addEventListener("open", () => {
    retry = 0;
    setConnection(`Connected as ${userId}`, true);
    // $connect cannot answer on its own connection: ask for the badge once open (and after every reconnect).
    ws.send(JSON.stringify({ action: "listUnread" }));
    render();
  });
  ws.addEventListener("message", (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch {
      // Not JSON: ignored.
    }
  });
  ws.addEventListener("close", () => {
    // A socket replaced by a new sign-in closes quietly.
    if (socket !== ws) return;
    render();
    // API Gateway closes connections after 2 hours (10 idle minutes): reconnect with backoff.
    const delay = Math.min(30_000, 500 * 2 ** retry++);
    setConnection(`Disconnected; reconnecting in ${Math.round(delay / 1000)} s`, false);
    setTimeout(() => void connect(), delay);
  });
}

$("#signin").addEventListener("submit", (event) => {
  event.preventDefault();
  const userId = $("#user").value.trim();
  if (!userId) return;
  session = {
    userId,
    url: $("#ws-url").value.trim() || undefined,
    token: $("#ws-token").value.trim() || undefined,
  };
  sessionStorage.setItem("bell.user", userId);
  const previous = socket;
  socket = undefined;
  previous?.close();
  inbox.clear();
  unread = 0;
  render();
  void connect();
});

const remembered = new URLSearchParams(location.search).get("user") ?? sessionStorage.getItem("bell.user");
if (remembered) {
  $("#user").value = remembered;
  $("#signin").requestSubmit();
}
render();
