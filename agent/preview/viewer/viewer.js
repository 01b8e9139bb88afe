// @ts-check
/**
 * The live-preview viewer (index.html). It talks to `/ws` (protocol in
 * preview-hub.ts): JSON text messages `hello` / `stats`, binary frames
 * `[u32 BE header length][JSON header][JPEG]`, and it sends
 * `{"type":"watch","cameras":[...]}` so only watched cameras are encoded.
 * Plain browser JS without a build step; tsconfig.viewer.json type-checks it.
 */

import { drawScene, hasScene, hue, sceneSummary } from './scene.js';

/**
 * @typedef {import('./scene.js').CameraInfo} CameraInfo
 * @typedef {import('./scene.js').SceneCounts} SceneCounts
 * @typedef {{ label: string, score: number, box?: number[], class?: { label: string, score: number } | null, track_id?: number | null }} DetectedObject
 * @typedef {{
 *   camera: string, width?: number, height?: number, jpeg_width?: number, jpeg_height?: number, objects?: DetectedObject[],
 *   counts?: SceneCounts, tracks_active?: number
 * }} FrameHeader
 * @typedef {{ fps?: number, box_count?: number | null, latency_p95_ms?: number | null, state?: string }} CameraStats
 * @typedef {{ type: 'hello', cameras?: CameraInfo[], preview?: { width?: number } }} HelloMessage
 * @typedef {{ type: 'stats', cameras?: Record<string, CameraStats> }} StatsMessage
 * @typedef {ImageBitmap | HTMLImageElement} Picture
 * @typedef {{
 *   name: string, layout: CameraInfo, watched: boolean, bitmap: Picture | null, header: FrameHeader | null, decoding: boolean,
 *   pending: { header: FrameHeader, jpeg: Uint8Array<ArrayBuffer> } | null,
 *   root: HTMLElement, canvas: HTMLCanvasElement, badge: HTMLElement, placeholder: HTMLElement, stats: HTMLElement, objects: HTMLElement,
 *   scene: HTMLElement
 * }} Tile
 */

const GRID = '__grid__';
/** What the page has done, for tests and for a look from the console. */
const vp = {
  /** @type {Record<string, number>} */ framesDrawn: {},
  /** @type {Record<string, number>} */ framesDropped: {},
  /** @type {Record<string, FrameHeader>} */ lastHeader: {},
  /** @type {StatsMessage | null} */ stats: null,
  /** Each camera's zones and lines, from `hello`. @type {Record<string, CameraInfo>} */ layouts: {},
  connected: false,
};
Object.assign(window, { vigilPreview: vp });

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`viewer page: #${id} is missing`);
  return found;
}
const sel = byId('camera', HTMLSelectElement);
const overlay = byId('overlay', HTMLInputElement);
const sceneToggle = byId('scene', HTMLInputElement);
const main = byId('tiles', HTMLElement);
const conn = byId('conn', HTMLElement);
const connText = byId('conn-text', HTMLElement);
const notice = byId('notice', HTMLElement);
const noticeText = byId('notice-text', HTMLElement);
const retryBtn = byId('retry', HTMLButtonElement);

/** @type {string[]} */
let cams = [];
/** @type {Record<string, Tile>} */
let tiles = {};
/** @type {string | null} */
let selected = null;
let previewWidth = 640;
/** @type {WebSocket | null} */
let ws = null;
let backoff = 1000;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
/** @type {'busy' | 'auth' | null} */
let fatal = null;
const utf8 = new TextDecoder();

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} cls
 * @param {string | null} [text]
 * @param {Record<string, string>} [data]
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, cls, text, data) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  for (const [k, v] of Object.entries(data ?? {})) e.dataset[k] = v;
  return e;
}
/** @param {(tile: Tile) => void} fn */
const each = (fn) => Object.values(tiles).forEach(fn);
try {
  selected = decodeURIComponent(location.hash.slice(1)) || localStorage.getItem('vigil.preview.camera');
} catch {
  /* private mode */
}

/** @param {string} kind @param {string} text */
function setConn(kind, text) {
  conn.className = `conn ${kind}`;
  connText.textContent = text;
}
/** @param {unknown} label */
const colour = (label) => `hsl(${hue(String(label))}, 85%, 60%)`;
/** @param {unknown} score */
const pct = (score) => `${Math.round((Number(score) || 0) * 100)}%`;
/** @param {DetectedObject} o */
function chipText(o) {
  let t = `${o.track_id != null ? `#${o.track_id} ` : ''}${o.label} ${pct(o.score)}`;
  if (o.class && o.class.label != null) t += ` · ${o.class.label} ${pct(o.class.score)}`;
  return t;
}

/** @param {CameraInfo} layout @returns {Tile} */
function makeTile(layout) {
  const name = layout.name;
  const frame = make('div', 'frame');
  const canvas = make('canvas', 'view', null, { camera: name });
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `Live view of camera ${name}`);
  const badge = make('div', 'badge-disconnected', 'DISCONNECTED', { camera: name });
  badge.hidden = true;
  const placeholder = make('div', 'placeholder', 'waiting for frames…');
  frame.append(canvas, badge, placeholder);
  const root = make('section', 'tile');
  /** @type {Tile} */
  const t = {
    name, layout, watched: false, bitmap: null, header: null, decoding: false, pending: null,
    root, canvas, badge, placeholder,
    stats: make('div', 'stats', 'no stats yet', { stats: name }),
    objects: make('div', 'objects', '', { objects: name }),
    scene: make('div', 'scene', '', { scene: name }),
  };
  root.setAttribute('aria-label', `Camera ${name}`);
  root.append(make('h2', null, name), frame, t.stats, t.objects, t.scene);
  blank(t);
  return t;
}
/** @param {Picture | null} picture */
function release(picture) {
  if (picture && 'close' in picture) picture.close();
}
/** @param {Tile} t */
function blank(t) {
  release(t.bitmap);
  t.bitmap = null;
  t.header = null;
  t.pending = null;
  t.canvas.width = previewWidth;
  t.canvas.height = Math.round((previewWidth * 3) / 4);
  t.placeholder.hidden = false;
  t.objects.textContent = '';
  t.scene.textContent = '';
  t.scene.hidden = true;
}

/** @param {Tile} t */
function draw(t) {
  const h = t.header, b = t.bitmap, c = t.canvas;
  if (!h || !b || !t.watched) return;
  const ctx = c.getContext('2d');
  if (!ctx) return;
  const dpr = window.devicePixelRatio || 1;
  const jw = h.jpeg_width || b.width, jh = h.jpeg_height || b.height;
  const cw = Math.max(1, Math.round(jw * dpr)), ch = Math.max(1, Math.round(jh * dpr));
  if (c.width !== cw || c.height !== ch) {
    c.width = cw;
    c.height = ch;
  }
  const s = Math.min(cw / b.width, ch / b.height), dw = b.width * s, dh = b.height * s;
  const ox = (cw - dw) / 2, oy = (ch - dh) / 2;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, cw, ch);
  ctx.drawImage(b, ox, oy, dw, dh);
  t.placeholder.hidden = true;
  const boxes = overlay.checked && Array.isArray(h.objects);
  const scene = sceneToggle.checked && hasScene(t.layout);
  if (!boxes && !scene) return;
  // Canvas pixels per CSS pixel as displayed, so lines and text stay readable in small grid tiles.
  const px = Math.max(cw / (c.clientWidth || cw / dpr), ch / (c.clientHeight || ch / dpr));
  const lw = Math.max(1, 2 * px), fs = Math.max(8, Math.round(12 * px)), pad = Math.round(fs * 0.35), th = Math.round(fs * 1.4);
  ctx.textBaseline = 'middle';
  ctx.font = `600 ${fs}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  // Zones and lines under the boxes, so a box on a zone stays readable.
  if (scene) drawScene(ctx, t.layout, h.counts, { ox, oy, dw, dh, cw, ch, px, lw, pad, th });
  if (!boxes || !h.objects) return;
  const kx = dw / (h.width || jw), ky = dh / (h.height || jh);
  ctx.lineWidth = lw;
  for (const o of h.objects) {
    const bx = o?.box;
    if (!bx || bx.length < 4) continue;
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = bx;
    const x1 = ox + b0 * kx, y1 = oy + b1 * ky, x2 = ox + b2 * kx, y2 = oy + b3 * ky;
    const col = colour(o.label);
    ctx.strokeStyle = col;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = chipText(o), tw = ctx.measureText(text).width + pad * 2;
    const tx = Math.max(0, Math.min(x1 - lw / 2, cw - tw));
    let ty = y1 - lw / 2 - th;
    if (ty < 0) ty = Math.max(0, y1 + lw / 2);
    ctx.fillStyle = col;
    ctx.fillRect(tx, ty, tw, th);
    ctx.fillStyle = '#000';
    ctx.fillText(text, tx + pad, ty + th / 2);
  }
}

/** @param {DetectedObject[] | undefined} objects */
function summary(objects) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const o of objects ?? []) counts[o.label] = (counts[o.label] ?? 0) + 1;
  const count = (/** @type {string} */ k) => counts[k] ?? 0;
  const keys = Object.keys(counts).sort((a, b) => count(b) - count(a) || (a < b ? -1 : 1));
  return keys.length ? keys.map((k) => `${k} ×${count(k)}`).join(', ') : 'no objects';
}

/** @param {Uint8Array<ArrayBuffer>} bytes @returns {Promise<Picture>} */
function decodeJpeg(bytes) {
  const blob = new Blob([bytes], { type: 'image/jpeg' });
  if (typeof createImageBitmap === 'function') return createImageBitmap(blob);
  return new Promise((resolve, reject) => {
    // old Safari: fall back to an <img>
    const url = URL.createObjectURL(blob), img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('decode failed'));
    };
    img.src = url;
  });
}
/** @param {Tile} t @param {FrameHeader} header @param {Uint8Array<ArrayBuffer>} jpeg */
function decode(t, header, jpeg) {
  t.decoding = true;
  decodeJpeg(jpeg)
    .then(
      (bmp) => {
        release(t.bitmap);
        t.bitmap = bmp;
        t.header = header;
        if (!t.watched) return blank(t);
        draw(t);
        vp.framesDrawn[t.name] = (vp.framesDrawn[t.name] ?? 0) + 1;
        vp.lastHeader[t.name] = header;
        t.objects.textContent = summary(header.objects);
        t.scene.textContent = sceneSummary(t.layout, header.counts, header.tracks_active);
        t.scene.hidden = !t.scene.textContent;
      },
      (err) => console.warn('vigil: frame decode failed', t.name, err),
    )
    .then(() => {
      const p = t.pending;
      t.decoding = false;
      t.pending = null;
      if (p && t.watched) decode(t, p.header, p.jpeg);
    })
    .catch((err) => console.error('vigil: frame draw failed', t.name, err));
}
/** @param {ArrayBuffer} buf */
function onFrame(buf) {
  if (buf.byteLength < 4) return;
  const n = new DataView(buf).getUint32(0, false);
  if (4 + n > buf.byteLength) return;
  /** @type {FrameHeader | null} */
  let header;
  try {
    header = JSON.parse(utf8.decode(new Uint8Array(buf, 4, n)));
  } catch {
    return;
  }
  const t = header && tiles[header.camera];
  if (!header || !t || !t.watched) return;
  const jpeg = new Uint8Array(buf, 4 + n);
  if (!t.decoding) return decode(t, header, jpeg);
  if (t.pending) vp.framesDropped[t.name] = (vp.framesDropped[t.name] ?? 0) + 1; // keep only the newest
  t.pending = { header, jpeg };
}

/** @param {CameraStats} s */
function fmtStats(s) {
  const p95 = s.latency_p95_ms == null ? '–' : `${Math.round(s.latency_p95_ms)} ms`;
  const fps = typeof s.fps === 'number' ? s.fps.toFixed(1) : '–';
  return `fps ${fps} · boxes ${s.box_count == null ? '–' : s.box_count} · p95 ${p95} · ${s.state || 'unknown'}`;
}
/** @param {StatsMessage} msg */
function onStats(msg) {
  vp.stats = msg;
  const all = msg.cameras ?? {};
  each((t) => {
    const s = all[t.name];
    if (!s) return;
    t.stats.textContent = fmtStats(s);
    t.stats.className = `stats ${s.state}`;
    t.badge.hidden = s.state !== 'disconnected';
    t.root.classList.toggle('disconnected', s.state === 'disconnected');
  });
}

/** @returns {string[]} */
function watchList() {
  if (selected === GRID) return cams.slice();
  return selected !== null && cams.includes(selected) ? [selected] : [];
}
function sendWatch() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: 'watch', cameras: document.hidden ? [] : watchList() }));
}
function render() {
  if (cams.length && selected !== GRID && (selected === null || !cams.includes(selected))) selected = cams.length > 1 ? GRID : (cams[0] ?? GRID);
  if (!cams.length && selected == null) selected = GRID;
  sel.value = selected ?? GRID;
  const list = watchList();
  main.className = (selected === GRID ? 'grid' : 'single') + (vp.connected ? '' : ' stale');
  each((t) => {
    const on = list.includes(t.name);
    if (t.watched && !on) blank(t);
    t.watched = on;
  });
  main.replaceChildren(...list.flatMap((name) => tiles[name]?.root ?? []));
  sendWatch();
}
/** @param {HelloMessage} msg */
function onHello(msg) {
  if (msg.preview?.width && msg.preview.width > 0) previewWidth = msg.preview.width;
  const infos = (msg.cameras ?? []).map((c) => ({ ...c, name: String(c.name) }));
  cams = infos.map((c) => c.name);
  vp.layouts = Object.fromEntries(infos.map((c) => [c.name, c]));
  // The zones-and-lines toggle only where some camera has any.
  const sceneLabel = sceneToggle.closest('label');
  if (sceneLabel) sceneLabel.hidden = !infos.some(hasScene);
  /** @type {Record<string, Tile>} */
  const next = {};
  for (const info of infos) {
    const t = (next[info.name] = tiles[info.name] ?? makeTile(info));
    t.layout = info;
  }
  each((t) => {
    if (!next[t.name]) {
      t.watched = false;
      blank(t);
    }
  });
  tiles = next;
  sel.replaceChildren(
    ...[GRID, ...cams].map((name) => {
      const o = make('option', null, name === GRID ? 'All cameras (grid)' : name);
      o.value = name;
      return o;
    }),
  );
  render();
}

/** @param {string} text @param {string} retryLabel */
function showNotice(text, retryLabel) {
  noticeText.textContent = text;
  retryBtn.textContent = retryLabel;
  notice.hidden = false;
}
function connect() {
  clearTimeout(timer);
  timer = undefined;
  fatal = null;
  notice.hidden = true;
  setConn(backoff > 1000 ? 'reconnecting' : 'connecting', backoff > 1000 ? 'reconnecting…' : 'connecting…');
  let opened = false;
  const sock = (ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws${location.search}`));
  sock.binaryType = 'arraybuffer';
  sock.onopen = () => {
    opened = true;
    backoff = 1000;
    vp.connected = true;
    setConn('connected', 'connected');
    main.classList.remove('stale');
    sendWatch();
  };
  sock.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return onFrame(ev.data);
    /** @type {HelloMessage | StatsMessage | null} */
    let msg = null;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      /* ignore */
    }
    if (msg?.type === 'hello') onHello(msg);
    else if (msg?.type === 'stats') onStats(msg);
  };
  sock.onclose = (ev) => {
    if (ws !== sock) return;
    ws = null;
    vp.connected = false;
    main.classList.add('stale');
    const reason = ev.reason ? `: ${ev.reason}` : '';
    if (ev.code === 4401) return unauthorized(ev.reason || 'token rejected');
    if (ev.code === 1013) {
      fatal = 'busy';
      setConn('error', 'server busy');
      return showNotice(`The preview server refused the connection${reason || ' (try again later)'}.`, 'Retry');
    }
    if (!opened) {
      // an HTTP 401 on the upgrade looks like 1006 here: ask the page itself
      fetch(location.href, { cache: 'no-store', credentials: 'same-origin' }).then(
        (r) => (r.status === 401 ? unauthorized('token rejected') : retryLater(reason)),
        () => retryLater(reason),
      );
      return;
    }
    retryLater(reason);
  };
}
/** @param {string} reason */
function retryLater(reason) {
  if (fatal) return;
  setConn('reconnecting', `disconnected${reason} · retrying in ${Math.round(backoff / 1000)} s`);
  timer = setTimeout(connect, backoff);
  backoff = Math.min(backoff * 2, 10000);
}
/** @param {string} reason */
function unauthorized(reason) {
  fatal = 'auth';
  setConn('error', 'unauthorized');
  showNotice(`Access denied (${reason}). Reload and enter a valid token.`, 'Enter token');
}

retryBtn.addEventListener('click', () => {
  if (fatal === 'auth') return location.reload();
  backoff = 1000;
  connect();
});
sel.addEventListener('change', () => {
  selected = sel.value;
  try {
    localStorage.setItem('vigil.preview.camera', selected);
    history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(selected)}`);
  } catch {
    /* private mode */
  }
  render();
});
overlay.addEventListener('change', () => each(draw));
sceneToggle.addEventListener('change', () => each(draw));
/** @type {ReturnType<typeof setTimeout> | undefined} */
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => each(draw), 100);
});
document.addEventListener('visibilitychange', sendWatch); // a hidden tab watches nothing: no encoding, no bandwidth
connect();
