// The Switchyard console: plain modules, no framework. Reads the local cloud's /_local views and calls the ops
// library through /_ops/api (POSTs carry x-switchyard-console: 1).

const $ = (selector, root = document) => root.querySelector(selector);
const SVG = "http://www.w3.org/2000/svg";

/** Builds an element; strings become text nodes (never HTML). */
function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "rect", "text", "path", "title", "line", "polyline", "tspan"].includes(tag);
  const el = svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

async function view(route, query = {}) {
  const url = new URL(`/_local/${route}`, location.origin);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function api(route, body, options = {}) {
  const res = await fetch(`/_ops/api/${route}`, {
    method: body === undefined ? "GET" : "POST",
    headers:
      body === undefined
        ? {}
        : { "content-type": options.contentType ?? "application/json", "x-switchyard-console": "1" },
    body: body === undefined ? undefined : options.raw ? body : JSON.stringify(body),
  });
  const value = await res.json();
  if (!res.ok) throw new Error(value.error ?? `HTTP ${res.status}`);
  return value;
}

const status = (text, isError = false) => {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", isError);
};
const nameOf = (arn) => (arn ?? "").split(/[:/]/).at(-1);
const fnName = (arnOrName) => (arnOrName ?? "").split("function:").at(-1).split(":")[0];
const age = (s) =>
  s === null || s === undefined
    ? "?"
    : s < 120
      ? `${s}s`
      : s < 7200
        ? `${Math.round(s / 60)}m`
        : `${Math.round(s / 3600)}h`;

// ------------------------------------------------------------------ tabs

const tabs = [...document.querySelectorAll('[role="tab"]')];
let active = "map";
function select(id, focus = false) {
  for (const tab of tabs) {
    const on = tab.getAttribute("aria-controls") === id;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
  }
  active = id;
  if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  void refresh();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => select(tab.getAttribute("aria-controls")));
  tab.addEventListener("keydown", (event) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(tabs[(next + tabs.length) % tabs.length].getAttribute("aria-controls"), true);
  });
}

// ------------------------------------------------------------------ map

const lastCounts = new Map();

/** An edge's count and its tooltip from a subscription's or rule target's delivery counts (local cloud). */
function deliveryCount(counts) {
  if (!counts) return {};
  const failed = (counts.deadLettered ?? 0) + (counts.failed ?? 0);
  const parts = [`${counts.delivered} delivered`];
  if (counts.filteredOut !== undefined) parts.push(`${counts.filteredOut} filtered out`);
  parts.push(`${counts.deadLettered} dead-lettered`);
  if (counts.failed) parts.push(`${counts.failed} lost`);
  return {
    count: counts.delivered,
    countText: failed > 0 ? `${counts.delivered} · ${failed} failed` : `${counts.delivered}`,
    detail: parts.join(", "),
  };
}

let publishers;

async function drawMap() {
  const [topics, buses, queues, mappings, functions, alarms] = await Promise.all([
    view("sns/topics"),
    view("events/buses"),
    view("sqs/queues"),
    view("lambda/event-source-mappings").catch(() => []),
    view("lambda/functions"),
    view("cloudwatch/alarms").catch(() => []),
  ]);
  // The ingress routes (HTTP APIs) and what they publish to: provisioned once, read once.
  publishers ??= await api("publishers").catch(() => undefined);
  const byArn = new Map(queues.map((q) => [q.arn, q]));
  const dlqArns = new Set(queues.filter((q) => q.deadLetterSources.length > 0).map((q) => q.arn));
  for (const t of topics)
    for (const s of t.subscriptions) if (s.deadLetterTargetArn) dlqArns.add(s.deadLetterTargetArn);
  for (const b of buses)
    for (const r of b.rules) for (const t of r.targets) if (t.deadLetterArn) dlqArns.add(t.deadLetterArn);
  const alarmed = alarms
    .filter((a) => a.state === "ALARM")
    .flatMap((a) => Object.values(a.metric?.dimensions ?? {}));
  const fnStats = new Map(functions.map((f) => [f.name, f]));

  const W = 270;
  const H = 44;
  const ROW = 54;
  // Publishers (the ingress APIs) get a column of their own when the stack has any.
  const withPublishers = (publishers ?? []).length > 0;
  const columns = [
    ...(withPublishers ? ["Publishers (ingress APIs)"] : []),
    "Topics and buses",
    "Queues",
    "Functions",
    "Dead-letter queues",
  ];
  // Room between topics and queues for the filter keys on the edges, and for "invocations" before functions.
  const gaps = columns.map((name) => ({ Queues: 190, Functions: 80 })[name] ?? 60);
  const X = [];
  for (let i = 0; i < columns.length; i++) X.push(i === 0 ? 10 : X[i - 1] + W + gaps[i]);
  const shift = withPublishers ? 1 : 0;
  const nodes = new Map();
  const edges = [];
  const add = (id, col, kind, label, count, desiredY) => {
    if (!nodes.has(id)) nodes.set(id, { id, col: col + shift, kind, label, count, desiredY });
    return nodes.get(id);
  };

  // Column 0: topics and buses; column 1: queues; column 2: functions; column 3: DLQs.
  const sources = [];
  for (const t of topics)
    sources.push({
      id: t.arn,
      kind: "topic",
      label: t.name,
      count: `${t.subscriptions.length} subscriptions`,
    });
  for (const b of buses)
    if (b.rules.length > 0)
      sources.push({ id: b.arn, kind: "bus", label: b.name, count: `${b.rules.length} rules` });
  const order = [];
  for (const s of sources) {
    const targets = [];
    const topic = topics.find((t) => t.arn === s.id);
    if (topic)
      for (const sub of topic.subscriptions) {
        const keys = sub.filterPolicy ? Object.keys(sub.filterPolicy).join(", ") : "all";
        targets.push({
          to: sub.endpoint,
          label: `filter: ${keys}`,
          protocol: sub.protocol,
          deadLetterTargetArn: sub.deadLetterTargetArn,
          counts: sub.counts,
        });
      }
    const bus = buses.find((b) => b.arn === s.id);
    if (bus)
      for (const r of bus.rules)
        for (const t of r.targets)
          targets.push({
            to: t.arn,
            label: `rule ${r.name}`,
            protocol: t.arn.split(":")[2],
            deadLetterTargetArn: t.deadLetterArn,
            counts: t.counts,
          });
    s.targets = targets;
    for (const t of targets) if (t.protocol === "sqs" && !order.includes(t.to)) order.push(t.to);
  }
  for (const q of queues) if (!dlqArns.has(q.arn) && !order.includes(q.arn)) order.push(q.arn);
  let y = 0;
  for (const arn of order) {
    const q = byArn.get(arn);
    if (!q || dlqArns.has(arn)) continue;
    add(q.arn, 1, "queue", q.name, `${q.depth.visible} visible · ${q.depth.inFlight} in flight`, y);
    y += ROW;
  }
  sources.forEach((s, i) => {
    const ys = s.targets.map((t) => nodes.get(t.to)?.desiredY).filter((v) => v !== undefined);
    add(s.id, 0, s.kind, s.label, s.count, ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : i * ROW);
    for (const t of s.targets)
      if (t.protocol !== "lambda" && nodes.has(t.to))
        edges.push({ from: s.id, to: t.to, label: t.label, ...deliveryCount(t.counts) });
  });
  // Functions sit beside the queue they consume; functions subscribed to a topic directly go below them.
  for (const m of mappings) {
    const q = nodes.get(m.queueArn ?? m.eventSourceArn);
    if (!q) continue;
    const f = fnName(m.functionName ?? m.functionArn);
    add(`fn:${f}`, 2, "function", f, "", q.desiredY);
    const invocations = fnStats.get(f)?.invocations ?? 0;
    edges.push({
      from: q.id,
      to: `fn:${f}`,
      label: "invocations",
      count: invocations,
      countText: `${invocations}`,
      detail: `${invocations} invocations`,
    });
  }
  for (const s of sources)
    for (const t of s.targets) {
      if (t.protocol !== "lambda") continue;
      const f = fnName(t.to);
      add(`fn:${f}`, 2, "function", f, "", 1e6);
      edges.push({ from: s.id, to: `fn:${f}`, label: t.label, ...deliveryCount(t.counts) });
      if (t.deadLetterTargetArn) {
        const dead = t.counts?.deadLettered;
        edges.push({
          from: `fn:${f}`,
          to: t.deadLetterTargetArn,
          label: "failed",
          redrive: true,
          ...(dead === undefined
            ? {}
            : { count: dead, countText: `${dead}`, detail: `${dead} dead-lettered` }),
        });
      }
    }
  for (const arn of dlqArns) {
    const d = byArn.get(arn);
    if (!d) continue;
    const from = [
      ...d.deadLetterSources.map((s) => nodes.get(s)),
      ...edges.filter((e) => e.to === d.arn).map((e) => nodes.get(e.from)),
    ].find(Boolean);
    add(d.arn, 3, "dlq", d.name, `${d.depth.visible} dead letters`, from?.desiredY ?? 1e6);
    for (const s of d.deadLetterSources)
      if (nodes.has(s))
        edges.push({
          from: s,
          to: d.arn,
          label: "redrive",
          redrive: true,
          count: d.depth.visible,
          countText: `${d.depth.visible}`,
          detail: `${d.depth.visible} dead letters in ${d.name}`,
        });
  }
  for (const f of functions) {
    const node = nodes.get(`fn:${f.name}`);
    if (node) node.count = `${f.invocations} inv · ${f.errors} err`;
  }
  // Column 0 (when there are any): each ingress route, beside what it publishes to; the edge counts the requests
  // that reached its function (the authorizer let them through).
  for (const p of publishers ?? []) {
    const id = `api:${p.apiId}:${p.route}`;
    const to = p.publishesTo.map((arn) => nodes.get(arn)).filter(Boolean);
    const requests = fnStats.get(p.functionName)?.invocations ?? 0;
    add(
      id,
      -1,
      "publisher",
      p.api,
      `${p.route} · ${requests} request${requests === 1 ? "" : "s"}`,
      to[0]?.desiredY ?? 1e6,
    );
    for (const target of to)
      edges.push({
        from: id,
        to: target.id,
        label: "requests",
        count: requests,
        countText: `${requests}`,
        detail: `${requests} requests reached ${p.functionName}`,
      });
  }

  // Resolve collisions per column: keep the order by desired y, at least one row apart.
  const placed = new Map();
  for (let col = 0; col < columns.length; col++) {
    const column = [...nodes.values()].filter((n) => n.col === col).sort((a, b) => a.desiredY - b.desiredY);
    let next = 0;
    for (const n of column) {
      // 1e6 means "below the rest".
      n.y = n.desiredY >= 1e6 ? next : Math.max(n.desiredY, next);
      next = n.y + ROW;
      placed.set(n.id, n);
    }
  }
  const height = Math.max(...[...nodes.values()].map((n) => n.y)) + ROW + 30;
  const svg = h("svg", {
    viewBox: `0 0 ${X.at(-1) + W + 20} ${height}`,
    role: "img",
    "aria-labelledby": "map-title",
    id: "map-svg",
  });
  svg.append(
    h("title", { id: "map-title" }, `Message flow: ${nodes.size} resources, ${edges.length} connections`),
  );
  columns.forEach((t, i) => {
    svg.append(h("text", { x: X[i], y: 14, class: "legend" }, t));
  });
  const edgeLayer = h("g", {});
  const nodeLayer = h("g", {});
  svg.append(edgeLayer, nodeLayer);
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    const x1 = X[a.col] + W;
    const y1 = a.y + 24 + H / 2;
    const x2 = X[b.col];
    const y2 = b.y + 24 + H / 2;
    const key = `${e.from}->${e.to}`;
    // Lights up when anything it counts moved (deliveries or failures).
    const shown = e.countText ?? e.count;
    const moved = shown !== undefined && lastCounts.has(key) && lastCounts.get(key) !== shown;
    if (shown !== undefined) lastCounts.set(key, shown);
    const mid = (x1 + x2) / 2;
    // What fits between the two boxes at 10 px (about 5.6 px a character); the tooltip has the whole label.
    const fits = Math.max(6, Math.floor((x2 - x1 - 8) / 5.6));
    const title = e.detail ? `${e.label}: ${e.detail}` : e.label;
    edgeLayer.append(
      h(
        "g",
        {
          class: "edge-group",
          "data-from": a.label,
          "data-to": b.label,
          "data-count": e.count,
        },
        h("title", {}, title),
        h("path", {
          d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
          class: `edge${e.redrive ? " redrive" : ""}${moved ? " active" : ""}`,
        }),
        h(
          "text",
          { x: mid, y: (y1 + y2) / 2 - 3, class: "edge-label", "text-anchor": "middle" },
          e.label.length > fits ? `${e.label.slice(0, fits - 1)}…` : e.label,
        ),
        e.countText === undefined
          ? null
          : h(
              "text",
              {
                x: mid,
                y: (y1 + y2) / 2 + 9,
                class: `edge-count${moved ? " active" : ""}`,
                "text-anchor": "middle",
              },
              e.countText,
            ),
      ),
    );
  }
  for (const n of placed.values()) {
    const full = n.kind === "dlq" && !n.count.startsWith("0 ");
    const alarm = alarmed.includes(n.label);
    const g = h(
      "g",
      {
        class: `node ${n.kind}${full ? " full" : ""}${alarm ? " alarm" : ""}`,
        transform: `translate(${X[n.col]},${n.y + 24})`,
        "data-name": n.label,
      },
      h("title", {}, `${n.kind} ${n.label}${alarm ? " (in ALARM)" : ""}`),
      h("rect", { width: W, height: H, rx: 6 }),
      h("text", { x: 8, y: 17 }, n.label),
      h("text", { x: 8, y: 35, class: "count" }, `${n.count}${alarm ? " · ALARM" : ""}`),
    );
    nodeLayer.append(g);
  }
  $("#map-canvas").replaceChildren(svg);
}

// ------------------------------------------------------------------ queues and DLQs

let openDlq;

async function drawQueues() {
  const queues = await view("sqs/queues");
  const dlqOf = new Map();
  for (const q of queues) for (const s of q.deadLetterSources) dlqOf.set(s, q);
  const isDlq = (q) => q.deadLetterSources.length > 0 || /-dlq(-[0-9a-f]{7})?(\.fifo)?$/.test(q.name);
  const rows = queues.map((q) => {
    const dlq = dlqOf.get(q.arn);
    return h(
      "tr",
      { "data-queue": q.name },
      h("th", { scope: "row" }, q.name, isDlq(q) ? h("span", { class: "muted" }, " (DLQ)") : ""),
      h("td", { class: "num" }, q.depth.visible),
      h("td", { class: "num" }, q.depth.inFlight),
      h("td", { class: "num" }, q.depth.delayed),
      h(
        "td",
        { class: "num" },
        q.depth.visible + q.depth.inFlight + q.depth.delayed === 0 ? "-" : age(q.depth.oldestAgeSeconds),
      ),
      h("td", {}, dlq ? `${dlq.name}: ${dlq.depth.visible}` : ""),
      h(
        "td",
        {},
        isDlq(q)
          ? h(
              "button",
              { type: "button", onclick: () => openDlqPanel(q.name), "aria-label": `Open ${q.name}` },
              "Open",
            )
          : "",
      ),
    );
  });
  $("#queue-table tbody").replaceChildren(...rows);
}

async function openDlqPanel(name) {
  openDlq = name;
  $("#dlq-panel").hidden = false;
  $("#dlq-title").textContent = `DLQ ${name}`;
  $("#dlq-result").textContent = "";
  await readDlq();
  $("#dlq-title").scrollIntoView?.({ block: "start" });
}

async function readDlq() {
  const list = $("#dlq-messages");
  list.replaceChildren(h("li", {}, "Reading…"));
  try {
    const messages = await api(`peek?queue=${encodeURIComponent(openDlq)}&n=50`);
    if (messages.length === 0) {
      list.replaceChildren(h("li", {}, "No dead letters."));
      return;
    }
    list.replaceChildren(
      ...messages.map((m) =>
        h(
          "li",
          { "data-message-id": m.messageId },
          h(
            "label",
            {},
            h("input", { type: "checkbox", value: m.messageId, class: "pick" }),
            ` ${m.messageId}`,
          ),
          h(
            "div",
            {},
            h("strong", {}, m.kind),
            ` from ${m.source} · received ${m.receiveCount}× · ${age(m.ageSeconds)} old`,
          ),
          h("div", { class: "reason" }, `Reason: ${m.reason}`),
          h("div", {}, m.redriveTo ? `Redrive to ${m.redriveTo}` : `Not redriven: ${m.skipReason}`),
          h("details", {}, h("summary", {}, "Body"), h("pre", {}, m.body)),
        ),
      ),
    );
  } catch (error) {
    list.replaceChildren(h("li", { class: "error" }, error.message));
  }
}

async function redriveDlq(all) {
  const ids = [...document.querySelectorAll("#dlq-messages .pick:checked")].map((i) => i.value);
  if (!all && ids.length === 0) {
    $("#dlq-result").textContent = "Select messages first (or Redrive all).";
    return;
  }
  $("#dlq-result").textContent = "Redriving…";
  try {
    const result = await api("redrive", {
      queue: openDlq,
      rate: Number($("#dlq-rate").value) || 10,
      ...(all ? {} : { messageIds: ids }),
    });
    $("#dlq-result").textContent =
      `Redrive of ${result.queue}: moved ${result.moved}, failed ${result.failed}, skipped ${result.skipped}`;
    await readDlq();
  } catch (error) {
    $("#dlq-result").textContent = `Redrive failed: ${error.message}`;
  }
}
$("#dlq-refresh").addEventListener("click", () => void readDlq());
$("#dlq-redrive-selected").addEventListener("click", () => void redriveDlq(false));
$("#dlq-redrive-all").addEventListener("click", () => void redriveDlq(true));

// ------------------------------------------------------------------ messages (trace and follow)

async function loadTargets() {
  const topology = await api("topology");
  const options = [
    ...topology.topics.map((t) => h("option", { value: t.name }, `topic ${t.name}`)),
    ...[...new Set(topology.rules.map((r) => r.busName))].map((b) => h("option", { value: b }, `bus ${b}`)),
  ];
  $("#trace-target").replaceChildren(...options);
  window.topology = topology;
}

async function runTrace(target, message, publishedAt) {
  const out = $("#trace-result");
  out.replaceChildren(h("p", {}, "Tracing…"));
  try {
    const result = await api("trace", { target, message });
    out.replaceChildren(
      h("h3", {}, `${result.kind} ${nameOf(result.target)}`),
      h(
        "ul",
        { id: "trace-list" },
        ...result.matched.map((e) =>
          h(
            "li",
            { class: "matched", "data-name": e.name },
            h("span", { class: "match" }, "matches "),
            `${e.name} → ${e.to.map(nameOf).join(", ")}`,
            e.reasons.length ? ` (${e.reasons.join("; ")})` : "",
          ),
        ),
        ...result.notMatched.map((e) =>
          h(
            "li",
            { class: "not-matched", "data-name": e.name },
            h("span", { class: "nomatch" }, "does not match "),
            `${e.name}: ${e.reasons.join("; ")}`,
          ),
        ),
      ),
    );
    if (publishedAt) void follow(result, publishedAt);
  } catch (error) {
    out.replaceChildren(h("p", { class: "error" }, error.message));
  }
}

/** The text of an SMS request body (`{phoneNumber, text}`), else undefined. */
function smsTextOf(body) {
  try {
    const parsed = typeof body === "string" ? JSON.parse(body) : body;
    return typeof parsed?.phoneNumber === "string" && typeof parsed.text === "string"
      ? parsed.text
      : undefined;
  } catch {
    return undefined;
  }
}

/** After a publish: the invocations of the functions behind the matched queues, with their logs. */
async function follow(result, since) {
  const mappings = await view("lambda/event-source-mappings").catch(() => []);
  const fns = [];
  for (const e of result.matched)
    for (const to of e.to) {
      const arn = to.replace(/^sqs:/, "").replace(/^lambda:/, "");
      if (arn.includes(":lambda:")) fns.push(fnName(arn));
      for (const m of mappings)
        if ((m.queueArn ?? m.eventSourceArn) === arn) fns.push(fnName(m.functionName ?? m.functionArn));
    }
  const box = $("#follow");
  const logs = new Map(); // requestId -> log lines
  for (let i = 0; i < 15; i++) {
    const sections = [];
    // Keep what the reader opened across refreshes.
    const opened = new Set([...box.querySelectorAll("details[open]")].map((d) => d.dataset.id));
    for (const f of [...new Set(fns)]) {
      const calls = (await view("lambda/invocations", { function: f }).catch(() => [])).filter(
        (c) => Date.parse(c.startedAt) >= since - 1000,
      );
      const shown = calls.slice(-3);
      for (const c of shown) {
        if (!logs.has(c.requestId)) {
          const lines = await view("lambda/logs", { function: f, requestId: c.requestId }).catch(() => []);
          if (lines.length > 0) logs.set(c.requestId, lines);
        }
      }
      sections.push(
        h(
          "li",
          {},
          h("strong", {}, f),
          `: ${calls.length} invocation(s) since the publish`,
          ...shown.map((c) =>
            h(
              "details",
              { "data-id": c.requestId, open: opened.has(c.requestId) },
              h(
                "summary",
                {},
                `${c.requestId} from ${c.source}: ${c.error ? `failed: ${c.error.errorMessage}` : `ok in ${c.durationMs} ms`}`,
              ),
              h("pre", { class: "logs short" }, (logs.get(c.requestId) ?? []).map((l) => l.line).join("\n")),
            ),
          ),
        ),
      );
    }
    // An SMS request ends at the carrier: what it did with it, and from which origination identity.
    const smsText = result.evaluated?.body ? smsTextOf(result.evaluated.body) : undefined;
    if (smsText !== undefined) {
      const sent = (await view("sms/messages", { limit: "500" }).catch(() => [])).filter(
        (m) => m.body === smsText && m.at >= since - 1000,
      );
      sections.push(
        h(
          "li",
          { class: "carrier" },
          h("strong", {}, "SMS carrier"),
          sent.length === 0
            ? ": nothing yet"
            : `: ${sent
                .map(
                  (m) =>
                    `${m.status} (${m.country}, ${m.parts} part${m.parts === 1 ? "" : "s"}) from ${m.originationIdentity ?? m.applicationId ?? "the default identity"}${m.reason ? `: ${m.reason}` : ""}`,
                )
                .join("; ")}`,
        ),
      );
    }
    box.replaceChildren(h("h3", {}, "Deliveries and invocations"), h("ul", {}, ...sections));
    await new Promise((r) => setTimeout(r, 1000));
  }
}

$("#trace-form").addEventListener("submit", (event) => {
  event.preventDefault();
  let message;
  try {
    message = JSON.parse($("#trace-message").value);
  } catch (error) {
    $("#trace-result").replaceChildren(h("p", { class: "error" }, `Not JSON: ${error.message}`));
    return;
  }
  void runTrace($("#trace-target").value, message);
});

// ------------------------------------------------------------------ try it

const tryResult = (text, isError = false) => {
  $("#try-result").textContent = text;
  $("#try-result").classList.toggle("error", isError);
};

$("#order-id").value = `order-${Date.now().toString(36)}`;
$("#form-order").addEventListener("submit", async (event) => {
  event.preventDefault();
  const type = $("#order-type").value;
  const order = {
    eventType: type,
    orderId: $("#order-id").value,
    version: 1,
    customerId: $("#order-customer").value,
    priority: $("#order-priority").value,
    orderValue: Number($("#order-value").value),
    currency: "EUR",
    occurredAt: new Date().toISOString(),
    items: [{ sku: $("#order-sku").value, quantity: Number($("#order-qty").value) }],
    ...($("#order-tracking").value ? { trackingUrl: $("#order-tracking").value } : {}),
  };
  const at = Date.now();
  try {
    const result = await api("publish/order", { event: order });
    tryResult(`Published to ${nameOf(result.topicArn)}: ${result.messageIds.join(", ")}`);
    $("#order-id").value = `order-${Date.now().toString(36)}`;
    select("messages");
    $("#trace-target").value = nameOf(result.topicArn);
    $("#trace-message").value = JSON.stringify(order, null, 2);
    await runTrace(nameOf(result.topicArn), order, at);
  } catch (error) {
    tryResult(error.message, true);
  }
});
$("#form-sms").addEventListener("submit", async (event) => {
  event.preventDefault();
  const request = {
    phoneNumber: $("#sms-to").value,
    text: $("#sms-text").value,
    useCase: $("#sms-usecase").value,
  };
  const at = Date.now();
  try {
    const result = await api("publish/sms", { request });
    tryResult(`Published (${result.country}, ${result.parts} part(s)): ${result.messageId}`);
    select("messages");
    const message = {
      body: { phoneNumber: request.phoneNumber, text: request.text },
      attributes: { country: result.country, useCase: request.useCase },
    };
    $("#trace-target").value = nameOf(result.topicArn);
    $("#trace-message").value = JSON.stringify(message, null, 2);
    await runTrace(nameOf(result.topicArn), message, at);
  } catch (error) {
    tryResult(error.message, true);
  }
});
$("#form-notification").addEventListener("submit", async (event) => {
  event.preventDefault();
  const type = $("#n-type").value;
  const notification = {
    userId: $("#n-user").value,
    type,
    message: $("#n-message").value,
    ...(type === "actionable" ? { callback: $("#n-callback").value } : {}),
  };
  const at = Date.now();
  try {
    const result = await api("publish/notification", { notification });
    tryResult(
      `Sent on ${result.eventBusName}: ${result.eventIds.join(", ")} (open the bell as ${notification.userId})`,
    );
    select("messages");
    $("#trace-target").value = result.eventBusName;
    $("#trace-message").value = JSON.stringify(notification, null, 2);
    await runTrace(result.eventBusName, notification, at);
  } catch (error) {
    tryResult(error.message, true);
  }
});
$("#form-upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  const key = $("#upload-key").value || `uploads/${file.name}`;
  const at = Date.now();
  try {
    const result = await api(`upload?key=${encodeURIComponent(key)}`, await file.arrayBuffer(), {
      raw: true,
      contentType: file.type || "application/octet-stream",
    });
    tryResult(`Uploaded s3://${result.bucket}/${result.key}`);
    await followUpload(result, at);
  } catch (error) {
    tryResult(error.message, true);
  }
});

/** After an upload: S3's notification of it (from the s3/events view), traced through the topic it went to. */
async function followUpload(uploaded, at) {
  select("messages");
  const out = $("#trace-result");
  out.replaceChildren(h("p", {}, `Waiting for S3's notification of ${uploaded.key}…`));
  $("#follow").replaceChildren();
  let event;
  for (let i = 0; i < 20 && !event; i++) {
    const events = await view("s3/events").catch(() => []);
    event = events.findLast(
      (e) => e.bucket === uploaded.bucket && e.key === uploaded.key && Date.parse(e.at) >= at - 1000,
    );
    if (!event) await new Promise((r) => setTimeout(r, 250));
  }
  if (!event) {
    out.replaceChildren(
      h(
        "p",
        { class: "error" },
        `S3 sent no notification for ${uploaded.key}: the bucket's notification filters (prefix, suffix) do not take it.`,
      ),
    );
    return;
  }
  const topic = event.deliveries.find((d) => d.kind === "topic");
  if (!topic) {
    out.replaceChildren(
      h("p", {}, `S3 notified ${event.deliveries.map((d) => `${d.kind} ${nameOf(d.arn)}`).join(", ")}.`),
    );
    return;
  }
  const message = {
    body: {
      Records: [
        {
          eventSource: "aws:s3",
          eventName: event.eventName.replace(/^s3:/, ""),
          s3: { bucket: { name: uploaded.bucket }, object: { key: uploaded.key } },
        },
      ],
    },
  };
  $("#trace-target").value = nameOf(topic.arn);
  $("#trace-message").value = JSON.stringify(message, null, 2);
  await runTrace(nameOf(topic.arn), message, at);
}

// ------------------------------------------------------------------ SMS chart

async function drawSms() {
  const chart = await api("sms");
  const { seconds, lanes, limits, refused } = chart;
  const sum = (parts) => parts.reduce((a, b) => a + b, 0);
  const peak = (parts) => Math.max(0, ...parts);
  const top =
    Math.max(
      1,
      ...lanes.flatMap((l) => [...l.parts, l.budgetPartsPerSecond ?? 0]),
      ...limits.map((l) => l.limitPartsPerSecond ?? 0),
    ) * 1.15;
  const W = 900;
  const H = 260;
  const P = 40;
  const x = (i) => P + (i / (seconds - 1)) * (W - 2 * P);
  const y = (v) => H - P - (v / top) * (H - 2 * P);
  const colors = ["#0b57d0", "#b3261e", "#0a6b2d", "#8a5300", "#6b2fa0", "#00677d"];
  const colorOf = new Map(lanes.map((l, i) => [l.lane, colors[i % colors.length]]));
  const svg = h(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "sms-title" },
    h(
      "title",
      { id: "sms-title" },
      "Delivered SMS parts per second per lane over the last minute, with each lane's budget and the carrier's limits (the tables below hold the numbers)",
    ),
  );
  svg.append(
    h("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#555" }),
    h("line", { x1: P, y1: P / 2, x2: P, y2: H - P, stroke: "#555" }),
    h("text", { x: 4, y: y(top / 1.15) + 4, class: "edge-label" }, (top / 1.15).toFixed(0)),
    h("text", { x: 4, y: H - P + 4, class: "edge-label" }, "0"),
    h("text", { x: W - P - 24, y: H - 10, class: "edge-label" }, "now"),
    h("text", { x: P, y: H - 10, class: "edge-label" }, `-${seconds} s`),
  );
  for (const limit of limits) {
    if (limit.limitPartsPerSecond === null) continue;
    const v = limit.limitPartsPerSecond;
    svg.append(
      h("line", { x1: P, x2: W - P, y1: y(v), y2: y(v), stroke: "#555", "stroke-dasharray": "2 3" }),
      h(
        "text",
        { x: W - P - 4, y: y(v) - 4, "text-anchor": "end", class: "edge-label" },
        `carrier ${limit.key === "*" ? "other countries" : limit.key}: ${v}/s`,
      ),
    );
  }
  for (const lane of lanes) {
    const color = colorOf.get(lane.lane);
    if (lane.budgetPartsPerSecond !== null) {
      const v = lane.budgetPartsPerSecond;
      svg.append(
        h("line", { x1: P, x2: W - P, y1: y(v), y2: y(v), stroke: color, "stroke-dasharray": "6 4" }),
      );
    }
    svg.append(
      h("polyline", {
        points: lane.parts.map((v, j) => `${x(j)},${y(v)}`).join(" "),
        fill: "none",
        stroke: color,
        "stroke-width": 2,
        "data-lane": lane.lane,
      }),
    );
  }
  $("#sms-chart").replaceChildren(svg);
  $("#sms-lanes tbody").replaceChildren(
    ...lanes.map((l) =>
      h(
        "tr",
        { "data-lane": l.lane },
        h(
          "th",
          { scope: "row" },
          h(
            "svg",
            { class: "swatch", viewBox: "0 0 12 12", "aria-hidden": "true" },
            h("rect", { width: 12, height: 12, fill: colorOf.get(l.lane) }),
          ),
          l.lane,
        ),
        h("td", {}, l.takes),
        h("td", { class: "num" }, l.budgetPartsPerSecond ?? "-"),
        h("td", { class: "num" }, sum(l.parts)),
        h("td", { class: "num" }, peak(l.parts)),
      ),
    ),
  );
  $("#sms-limits tbody").replaceChildren(
    ...limits.map((l) =>
      h(
        "tr",
        { "data-limit": l.key },
        h("th", { scope: "row" }, l.key === "*" ? "other countries (shared)" : l.key),
        h("td", { class: "num" }, l.limitPartsPerSecond ?? "-"),
        h("td", { class: "num" }, sum(l.parts)),
        h("td", { class: "num" }, peak(l.parts)),
      ),
    ),
  );
  $("#sms-unrouted").textContent =
    chart.unrouted > 0
      ? `${chart.unrouted} delivered message(s) of the last minute are in no lane (sent without a recorded use case, or taken by no lane).`
      : "";
  $("#sms-refused tbody").replaceChildren(
    ...(refused.length === 0
      ? [h("tr", {}, h("td", { colspan: 5, class: "muted" }, "Nothing refused."))]
      : []),
    ...refused.map((m) =>
      h(
        "tr",
        {},
        h("td", {}, new Date(m.at).toLocaleTimeString()),
        h("td", {}, m.country),
        h("td", { class: "num" }, m.parts),
        h("td", {}, m.status),
        h("td", {}, m.reason ?? ""),
      ),
    ),
  );
}

// ------------------------------------------------------------------ alarms and logs

async function drawAlarms() {
  const alarms = await view("cloudwatch/alarms");
  alarms.sort(
    (a, b) => (a.state === "ALARM" ? -1 : 0) - (b.state === "ALARM" ? -1 : 0) || a.name.localeCompare(b.name),
  );
  $("#alarm-table tbody").replaceChildren(
    ...alarms.map((a) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, a.name),
        h("td", { class: `state-${a.state}` }, a.state),
        h("td", {}, a.reason ?? ""),
        h("td", {}, a.updatedAt ? new Date(a.updatedAt).toLocaleTimeString() : ""),
      ),
    ),
  );
}

async function loadFunctions() {
  const functions = await view("lambda/functions");
  $("#log-function").replaceChildren(...functions.map((f) => h("option", { value: f.name }, f.name)));
}
$("#log-function").addEventListener("change", () => void refresh());

async function drawLogs() {
  const name = $("#log-function").value;
  if (!name) return;
  const lines = await view("lambda/logs", { function: name, tail: "300" });
  const pre = $("#log-lines");
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
  pre.textContent =
    lines.length === 0
      ? `No log lines from ${name} yet: it has not run since the local cloud started.`
      : lines.map((l) => `${l.at} ${l.line}`).join("\n");
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

// ------------------------------------------------------------------ refresh loop

const drawers = { map: drawMap, queues: drawQueues, sms: drawSms, alarms: drawAlarms, logs: drawLogs };
let busy = false;
async function refresh() {
  const draw = drawers[active];
  if (!draw || busy) return;
  busy = true;
  try {
    await draw();
    status(`Updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    status(`Could not read the local cloud: ${error.message}`, true);
  } finally {
    busy = false;
  }
}

async function start() {
  try {
    const outputs = await view("outputs");
    $("#stack-name").textContent = `stack ${outputs.stack} · ${outputs.endpoint}`;
    await Promise.all([loadTargets(), loadFunctions()]);
  } catch (error) {
    status(`Could not read the local cloud: ${error.message}`, true);
  }
  const initial = location.hash.slice(1);
  select(tabs.some((t) => t.getAttribute("aria-controls") === initial) ? initial : "map");
  setInterval(() => void refresh(), 1000);
}
void start();
