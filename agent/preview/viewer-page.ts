/**
 * The live-preview viewer: one self-contained HTML document (inline CSS and
 * JS, no external resources) served at `/`. It talks to `/ws` (see the
 * preview server for the protocol): JSON text messages `hello` / `stats`,
 * binary frames `[u32 BE header length][JSON header][JPEG]`, and it sends
 * `{"type":"watch","cameras":[...]}` so only watched cameras are encoded.
 *
 * The page script is plain ES2020 inside String.raw: it must never contain a
 * backtick or a dollar-brace, and it uses no backslashes so it reads the same
 * whether or not the template is raw. Built once at module load.
 */

/** The start of both pages, up to their own styles: phone-friendly, dark, no favicon request. */
function documentStart(title: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="dark">',
    `<title>${title}</title>`,
    '<link rel="icon" href="data:,">',
    '',
  ].join('\n');
}

const VIEWER_PAGE =
  documentStart('vigil · live preview') +
  String.raw`<style>
:root { color-scheme: dark; --bg: #0e1116; --panel: #161b22; --line: #2a313c; --fg: #e6edf3; --muted: #8b949e;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; --accent: #58a6ff; }
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; padding: 10px 16px; background: var(--panel);
  border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
h1 { font-size: 18px; margin: 0; letter-spacing: .02em; } h1 small { font-weight: 400; color: var(--muted); font-size: 14px; margin-left: 6px; }
.conn { display: flex; align-items: center; gap: 6px; margin-left: auto; font-size: 13px; color: var(--muted); }
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--warn); flex: none; }
.conn.connected .dot { background: var(--ok); } .conn.error { color: var(--bad); } .conn.error .dot { background: var(--bad); }
.conn.connecting .dot, .conn.reconnecting .dot { animation: pulse 1.2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .3; } }
@media (prefers-reduced-motion: reduce) { .dot { animation: none !important; } }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 18px; padding: 10px 16px; }
.controls label { display: inline-flex; align-items: center; gap: 8px; }
select, button { font: inherit; color: var(--fg); background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 6px 10px; min-height: 36px; max-width: 100%; cursor: pointer; }
select:focus-visible, button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
input[type=checkbox] { width: 18px; height: 18px; margin: 0; accent-color: var(--accent); }
.notice { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; margin: 0 16px 10px; padding: 10px 12px;
  border: 1px solid var(--bad); border-radius: 8px; background: #2d1215; }
main { display: grid; gap: 12px; padding: 0 16px 16px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr)); }
main.single { grid-template-columns: 1fr; max-width: 1280px; margin: 0 auto; }
main.stale { opacity: .55; }
.tile { min-width: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
.tile h2 { margin: 0; padding: 8px 10px; font-size: 14px; font-weight: 600; overflow-wrap: anywhere; }
.frame { position: relative; background: #000; }
canvas.view { display: block; width: 100%; height: auto; object-fit: contain; }
main.single canvas.view { max-height: calc(100vh - 190px); max-height: calc(100dvh - 190px); }
.badge-disconnected { position: absolute; top: 10px; right: 10px; padding: 4px 8px; border-radius: 4px; background: var(--bad);
  color: #fff; font-size: 13px; font-weight: 700; letter-spacing: .08em; box-shadow: 0 1px 4px #000a; }
.tile.disconnected canvas.view { opacity: .6; }
.placeholder { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; color: var(--muted); font-size: 13px; }
[hidden] { display: none !important; }
.stats { padding: 6px 10px 0; font-size: 13px; color: var(--muted); font-variant-numeric: tabular-nums; }
.stats.disconnected { color: var(--bad); font-weight: 600; }
.objects { padding: 2px 10px 8px; font-size: 13px; min-height: 1.4em; }
@media (max-width: 600px) { header, .controls { padding: 8px 10px; } .notice { margin: 0 8px 8px; }
  main { padding: 0 8px 8px; gap: 8px; grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>vigil <small>live preview</small></h1>
  <div id="conn" class="conn connecting" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span><span id="conn-text">connecting…</span></div>
</header>
<div class="controls">
  <label for="camera">Camera <select id="camera"><option value="__grid__">All cameras (grid)</option></select></label>
  <label for="overlay"><input type="checkbox" id="overlay" checked> Show detections</label>
</div>
<div id="notice" class="notice" role="alert" hidden><span id="notice-text"></span><button id="retry" type="button">Retry</button></div>
<main id="tiles" aria-label="Camera views"></main>
<script>
(function () {
  'use strict';
  var GRID = '__grid__';
  var vp = window.vigilPreview = { framesDrawn: {}, framesDropped: {}, lastHeader: {}, stats: null, connected: false };
  var el = function (id) { return document.getElementById(id); };
  var sel = el('camera'), overlay = el('overlay'), main = el('tiles'), conn = el('conn'), connText = el('conn-text');
  var notice = el('notice'), noticeText = el('notice-text'), retryBtn = el('retry');
  var cams = [], tiles = {}, selected = null, previewWidth = 640;
  var ws = null, backoff = 1000, timer = null, fatal = null;
  var utf8 = new TextDecoder();
  var make = function (tag, cls, text, data) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    Object.keys(data || {}).forEach(function (k) { e.dataset[k] = data[k]; });
    return e;
  };
  var each = function (fn) { Object.keys(tiles).forEach(function (n) { fn(tiles[n]); }); };
  try { selected = decodeURIComponent(location.hash.slice(1)) || localStorage.getItem('vigil.preview.camera'); } catch (e) { /* private mode */ }

  function setConn(kind, text) { conn.className = 'conn ' + kind; connText.textContent = text; }
  function hue(label) {
    var h = 2166136261;
    for (var i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619) >>> 0;
    return h % 360;
  }
  function colour(label) { return 'hsl(' + hue(String(label)) + ', 85%, 60%)'; }
  function pct(score) { return Math.round((Number(score) || 0) * 100) + '%'; }
  function chipText(o) {
    var t = o.label + ' ' + pct(o.score);
    if (o['class'] && o['class'].label != null) t += ' · ' + o['class'].label + ' ' + pct(o['class'].score);
    return t;
  }

  function makeTile(name) {
    var t = { name: name, watched: false, bitmap: null, header: null, decoding: false, pending: null, root: make('section', 'tile') };
    var frame = make('div', 'frame');
    t.canvas = make('canvas', 'view', null, { camera: name });
    t.canvas.setAttribute('role', 'img');
    t.canvas.setAttribute('aria-label', 'Live view of camera ' + name);
    t.badge = make('div', 'badge-disconnected', 'DISCONNECTED', { camera: name });
    t.badge.hidden = true;
    t.placeholder = make('div', 'placeholder', 'waiting for frames…');
    frame.append(t.canvas, t.badge, t.placeholder);
    t.stats = make('div', 'stats', 'no stats yet', { stats: name });
    t.objects = make('div', 'objects', '', { objects: name });
    t.root.setAttribute('aria-label', 'Camera ' + name);
    t.root.append(make('h2', null, name), frame, t.stats, t.objects);
    blank(t);
    return t;
  }
  function blank(t) {
    if (t.bitmap && t.bitmap.close) t.bitmap.close();
    t.bitmap = null; t.header = null; t.pending = null;
    t.canvas.width = previewWidth; t.canvas.height = Math.round(previewWidth * 3 / 4);
    t.placeholder.hidden = false;
    t.objects.textContent = '';
  }

  function draw(t) {
    var h = t.header, b = t.bitmap, c = t.canvas;
    if (!h || !b || !t.watched) return;
    var dpr = window.devicePixelRatio || 1;
    var jw = h.jpeg_width || b.width, jh = h.jpeg_height || b.height;
    var cw = Math.max(1, Math.round(jw * dpr)), ch = Math.max(1, Math.round(jh * dpr));
    if (c.width !== cw || c.height !== ch) { c.width = cw; c.height = ch; }
    var ctx = c.getContext('2d');
    var s = Math.min(cw / b.width, ch / b.height), dw = b.width * s, dh = b.height * s;
    var ox = (cw - dw) / 2, oy = (ch - dh) / 2;
    ctx.fillStyle = '#000'; ctx.fillRect(0, 0, cw, ch);
    ctx.drawImage(b, ox, oy, dw, dh);
    t.placeholder.hidden = true;
    if (!overlay.checked || !Array.isArray(h.objects)) return;
    // Canvas pixels per CSS pixel as displayed, so lines and text stay readable in small grid tiles.
    var px = Math.max(cw / (c.clientWidth || cw / dpr), ch / (c.clientHeight || ch / dpr));
    var kx = dw / (h.width || jw), ky = dh / (h.height || jh);
    var lw = Math.max(1, 2 * px), fs = Math.max(8, Math.round(12 * px)), pad = Math.round(fs * 0.35), th = Math.round(fs * 1.4);
    ctx.lineWidth = lw; ctx.textBaseline = 'middle';
    ctx.font = '600 ' + fs + 'px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    h.objects.forEach(function (o) {
      var bx = o && o.box;
      if (!bx || bx.length < 4) return;
      var x1 = ox + bx[0] * kx, y1 = oy + bx[1] * ky, x2 = ox + bx[2] * kx, y2 = oy + bx[3] * ky;
      var col = colour(o.label);
      ctx.strokeStyle = col; ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
      var text = chipText(o), tw = ctx.measureText(text).width + pad * 2;
      var tx = Math.max(0, Math.min(x1 - lw / 2, cw - tw)), ty = y1 - lw / 2 - th;
      if (ty < 0) ty = Math.max(0, y1 + lw / 2);
      ctx.fillStyle = col; ctx.fillRect(tx, ty, tw, th);
      ctx.fillStyle = '#000'; ctx.fillText(text, tx + pad, ty + th / 2);
    });
  }

  function summary(objects) {
    var counts = {};
    (objects || []).forEach(function (o) { counts[o.label] = (counts[o.label] || 0) + 1; });
    var keys = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
    return keys.length ? keys.map(function (k) { return k + ' ×' + counts[k]; }).join(', ') : 'no objects';
  }

  function decodeJpeg(bytes) {
    var blob = new Blob([bytes], { type: 'image/jpeg' });
    if (typeof createImageBitmap === 'function') return createImageBitmap(blob);
    return new Promise(function (resolve, reject) { // old Safari: fall back to an <img>
      var url = URL.createObjectURL(blob), img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('decode failed')); };
      img.src = url;
    });
  }
  function decode(t, header, jpeg) {
    t.decoding = true;
    decodeJpeg(jpeg).then(function (bmp) {
      if (t.bitmap && t.bitmap.close) t.bitmap.close();
      t.bitmap = bmp; t.header = header;
      if (!t.watched) return blank(t);
      draw(t);
      vp.framesDrawn[t.name] = (vp.framesDrawn[t.name] || 0) + 1;
      vp.lastHeader[t.name] = header;
      t.objects.textContent = summary(header.objects);
    }, function (err) { console.warn('vigil: frame decode failed', t.name, err); })
      .then(function () {
        var p = t.pending;
        t.decoding = false; t.pending = null;
        if (p && t.watched) decode(t, p.header, p.jpeg);
      });
  }
  function onFrame(buf) {
    if (buf.byteLength < 4) return;
    var n = new DataView(buf).getUint32(0, false);
    if (4 + n > buf.byteLength) return;
    var header;
    try { header = JSON.parse(utf8.decode(new Uint8Array(buf, 4, n))); } catch (e) { return; }
    var t = header && tiles[header.camera];
    if (!t || !t.watched) return;
    var jpeg = new Uint8Array(buf, 4 + n);
    if (!t.decoding) return decode(t, header, jpeg);
    if (t.pending) vp.framesDropped[t.name] = (vp.framesDropped[t.name] || 0) + 1; // keep only the newest
    t.pending = { header: header, jpeg: jpeg };
  }

  function fmtStats(s) {
    var p95 = s.latency_p95_ms == null ? '–' : Math.round(s.latency_p95_ms) + ' ms';
    var fps = typeof s.fps === 'number' ? s.fps.toFixed(1) : '–';
    return 'fps ' + fps + ' · boxes ' + (s.box_count == null ? '–' : s.box_count) + ' · p95 ' + p95 + ' · ' + (s.state || 'unknown');
  }
  function onStats(msg) {
    vp.stats = msg;
    var all = msg.cameras || {};
    each(function (t) {
      var s = all[t.name];
      if (!s) return;
      t.stats.textContent = fmtStats(s);
      t.stats.className = 'stats ' + s.state;
      t.badge.hidden = s.state !== 'disconnected';
      t.root.classList.toggle('disconnected', s.state === 'disconnected');
    });
  }

  function watchList() {
    if (selected === GRID) return cams.slice();
    return cams.indexOf(selected) >= 0 ? [selected] : [];
  }
  function sendWatch() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: 'watch', cameras: document.hidden ? [] : watchList() }));
  }
  function render() {
    if (cams.length && selected !== GRID && cams.indexOf(selected) < 0) selected = cams.length > 1 ? GRID : cams[0];
    if (!cams.length && selected == null) selected = GRID;
    sel.value = selected;
    var list = watchList();
    main.className = (selected === GRID ? 'grid' : 'single') + (vp.connected ? '' : ' stale');
    cams.forEach(function (name) {
      var t = tiles[name], on = list.indexOf(name) >= 0;
      if (t.watched && !on) blank(t);
      t.watched = on;
    });
    main.replaceChildren.apply(main, list.map(function (name) { return tiles[name].root; }));
    sendWatch();
  }
  function onHello(msg) {
    if (msg.preview && msg.preview.width > 0) previewWidth = msg.preview.width;
    cams = (msg.cameras || []).map(function (c) { return String(c.name); });
    var next = {};
    cams.forEach(function (name) { next[name] = tiles[name] || makeTile(name); });
    each(function (t) { if (!next[t.name]) { t.watched = false; blank(t); } });
    tiles = next;
    sel.replaceChildren.apply(sel, [GRID].concat(cams).map(function (name) {
      var o = make('option', null, name === GRID ? 'All cameras (grid)' : name); o.value = name; return o;
    }));
    render();
  }

  function showNotice(text, retryLabel) {
    noticeText.textContent = text; retryBtn.textContent = retryLabel; notice.hidden = false;
  }
  function connect() {
    clearTimeout(timer);
    timer = null; fatal = null; notice.hidden = true;
    setConn(backoff > 1000 ? 'reconnecting' : 'connecting', backoff > 1000 ? 'reconnecting…' : 'connecting…');
    var opened = false;
    var sock = ws = new WebSocket((location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws' + location.search);
    sock.binaryType = 'arraybuffer';
    sock.onopen = function () {
      opened = true; backoff = 1000; vp.connected = true;
      setConn('connected', 'connected'); main.classList.remove('stale'); sendWatch();
    };
    sock.onmessage = function (ev) {
      if (typeof ev.data !== 'string') { onFrame(ev.data); return; }
      var msg = null;
      try { msg = JSON.parse(ev.data); } catch (e) { /* ignore */ }
      if (!msg) return;
      if (msg.type === 'hello') onHello(msg);
      else if (msg.type === 'stats') onStats(msg);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null; vp.connected = false; main.classList.add('stale');
      var reason = ev.reason ? ': ' + ev.reason : '';
      if (ev.code === 4401) return unauthorized(ev.reason || 'token rejected');
      if (ev.code === 1013) {
        fatal = 'busy'; setConn('error', 'server busy');
        return showNotice('The preview server refused the connection' + (reason || ' (try again later)') + '.', 'Retry');
      }
      if (!opened) { // an HTTP 401 on the upgrade looks like 1006 here: ask the page itself
        fetch(location.href, { cache: 'no-store', credentials: 'same-origin' }).then(function (r) {
          if (r.status === 401) unauthorized('token rejected'); else retryLater(reason);
        }, function () { retryLater(reason); });
        return;
      }
      retryLater(reason);
    };
  }
  function retryLater(reason) {
    if (fatal) return;
    setConn('reconnecting', 'disconnected' + reason + ' · retrying in ' + Math.round(backoff / 1000) + ' s');
    timer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  }
  function unauthorized(reason) {
    fatal = 'auth'; setConn('error', 'unauthorized');
    showNotice('Access denied (' + reason + '). Reload and enter a valid token.', 'Enter token');
  }

  retryBtn.addEventListener('click', function () {
    if (fatal === 'auth') { location.reload(); return; }
    backoff = 1000; connect();
  });
  sel.addEventListener('change', function () {
    selected = sel.value;
    try {
      localStorage.setItem('vigil.preview.camera', selected);
      history.replaceState(null, '', location.pathname + location.search + '#' + encodeURIComponent(selected));
    } catch (e) { /* private mode */ }
    render();
  });
  overlay.addEventListener('change', function () { each(draw); });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { each(draw); }, 100);
  });
  document.addEventListener('visibilitychange', sendWatch); // a hidden tab watches nothing: no encoding, no bandwidth
  connect();
})();
</script>
</body>
</html>
`;

const UNAUTHORIZED_PAGE =
  documentStart('vigil · token required') +
  String.raw`<style>
html, body { margin: 0; min-height: 100%; background: #0e1116; color: #e6edf3; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 360px; margin: 12vh auto 0; padding: 24px; background: #161b22; border: 1px solid #2a313c; border-radius: 10px; }
h1 { margin: 0 0 8px; font-size: 20px; } p { margin: 0 0 16px; color: #8b949e; } label { display: block; margin-bottom: 6px; }
input, button { font: inherit; width: 100%; min-height: 40px; border-radius: 6px; border: 1px solid #2a313c; padding: 8px 10px; }
input { background: #0e1116; color: #e6edf3; margin-bottom: 12px; }
button { background: #238636; border-color: #2ea043; color: #fff; font-weight: 600; cursor: pointer; }
input:focus-visible, button:focus-visible { outline: 2px solid #58a6ff; outline-offset: 2px; }
@media (max-width: 420px) { main { margin: 0; border-radius: 0; border-width: 0 0 1px; } }
</style>
</head>
<body>
<main>
  <h1>vigil · token required</h1>
  <p>The live preview needs an access token. The token was missing or not accepted.</p>
  <form method="get" action="/">
    <label for="token">Access token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Open preview</button>
  </form>
</main>
</body>
</html>
`;

/** The live-preview viewer page served at `/`. */
export function viewerPage(): string {
  return VIEWER_PAGE;
}

/** The 401 page: says a token is required and offers a form that reloads `/` with `?token=`. */
export function unauthorizedPage(): string {
  return UNAUTHORIZED_PAGE;
}
