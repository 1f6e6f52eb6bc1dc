// What the worker page and the auditor console share: the bearer token, calls to the API that
// served the page, JWT payload decoding, SVG bar charts and policy diffs. Plain ES2020 run as a
// classic script (the pages allow no inline script), exposed as `PageKit`; the pure parts are
// unit-tested from node (page-kit.spec.ts), which runs this file in a context of its own.
(function (root) {
  'use strict';

  const TOKEN_KEY = 'clearwork.token';

  /** The claims of a JWT, decoded without checking the signature: the server checks it on every call. */
  function decodeJwtPayload(token) {
    const parts = String(token).trim().split('.');
    if (parts.length !== 3) throw new Error('not a JWT: expected three dot-separated parts');
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(root.atob(padded), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new root.TextDecoder().decode(bytes));
    if (payload === null || typeof payload !== 'object') throw new Error('the JWT payload is not an object');
    return payload;
  }

  function escapeXml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  const COLOURS = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5'];

  /**
   * A grouped horizontal bar chart as SVG markup: one row per category, one bar per series.
   * Values are drawn against `max` (default: the largest value, at least 1e-9); a null value
   * draws no bar. Every bar is a `rect` with `data-testid="chart-bar"`.
   */
  function barChartSvg({ categories, series, max, width = 480, barHeight = 14, labelWidth = 120 }) {
    const values = series.flatMap((s) => s.values).filter((v) => typeof v === 'number' && Number.isFinite(v));
    const top = max ?? Math.max(1e-9, ...values);
    const rowHeight = barHeight * series.length + 10;
    const legendHeight = 20;
    const height = legendHeight + rowHeight * categories.length;
    const plotWidth = width - labelWidth - 60;
    const parts = [];
    series.forEach((s, i) => {
      const x = labelWidth + i * 130;
      parts.push(`<rect x="${x}" y="4" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/>`);
      parts.push(`<text x="${x + 14}" y="13" font-size="11">${escapeXml(s.name)}</text>`);
    });
    categories.forEach((category, row) => {
      const y0 = legendHeight + row * rowHeight;
      parts.push(`<text x="0" y="${y0 + rowHeight / 2 + 4}" font-size="12">${escapeXml(category)}</text>`);
      series.forEach((s, i) => {
        const value = s.values[row];
        if (typeof value !== 'number' || !Number.isFinite(value)) return;
        const w = Math.max(1, Math.round((Math.max(0, value) / top) * plotWidth));
        const y = y0 + i * barHeight;
        parts.push(
          `<rect data-testid="chart-bar" data-series="${escapeXml(s.name)}" data-category="${escapeXml(category)}" data-value="${value}" ` +
            `x="${labelWidth}" y="${y}" width="${w}" height="${barHeight - 2}" fill="${COLOURS[i % COLOURS.length]}"/>`,
        );
        parts.push(`<text x="${labelWidth + w + 4}" y="${y + barHeight - 4}" font-size="10">${escapeXml(formatNumber(value))}</text>`);
      });
    });
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
  }

  function formatNumber(value) {
    return typeof value === 'number' && Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : '–';
  }

  /** Every leaf that differs between two JSON values, by dotted path: `{ path, from, to }`, sorted by path. */
  function jsonDiff(a, b) {
    const out = [];
    const walk = (x, y, path) => {
      const objects = x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y);
      if (objects) {
        const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
        for (const key of keys) walk(x[key], y[key], path ? `${path}.${key}` : key);
        return;
      }
      if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ path, from: x === undefined ? null : x, to: y === undefined ? null : y });
    };
    walk(a, b, '');
    return out.sort((p, q) => (p.path < q.path ? -1 : p.path > q.path ? 1 : 0));
  }

  function token() {
    return root.sessionStorage ? root.sessionStorage.getItem(TOKEN_KEY) || '' : '';
  }

  function saveToken(value) {
    root.sessionStorage.setItem(TOKEN_KEY, String(value).trim());
  }

  /** Calls the API that served the page with the saved token; resolves with the parsed body or throws with the server's message. */
  async function api(path, { method = 'GET', body, raw = false } = {}) {
    const headers = { authorization: `Bearer ${token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await root.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        const problem = await res.json();
        if (problem && problem.message) message = `${res.status}: ${Array.isArray(problem.message) ? problem.message.join('; ') : problem.message}`;
      } catch {
        // not JSON: keep the status line
      }
      throw new Error(message);
    }
    return raw ? res : res.json();
  }

  /** Creates an element with attributes (`testid` becomes `data-testid`) and children (strings become text). */
  function el(tag, attrs = {}, children = []) {
    const node = root.document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null) continue;
      node.setAttribute(name === 'testid' ? 'data-testid' : name, String(value));
    }
    for (const child of [].concat(children)) node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    return node;
  }

  /** Parses chart markup built by `barChartSvg` into an element to append. */
  function svgElement(markup) {
    const doc = new root.DOMParser().parseFromString(markup, 'image/svg+xml');
    return root.document.importNode(doc.documentElement, true);
  }

  function byTestId(id) {
    return root.document.querySelector(`[data-testid="${id}"]`);
  }

  /** Shows `error` (or clears it) in the element with the given test id. */
  function showError(id, error) {
    const node = byTestId(id);
    if (node) node.textContent = error ? String(error.message || error) : '';
  }

  /**
   * A link may carry the token in its fragment (`#token=…`, as embedded mode prints them): it is
   * saved for the tab and removed from the address bar. A fragment is never sent to a server.
   */
  function takeTokenFromLink() {
    const match = /(?:^#|&)token=([^&]+)/.exec(root.location ? root.location.hash : '');
    if (!match) return;
    saveToken(decodeURIComponent(match[1]));
    if (root.history && root.history.replaceState) root.history.replaceState(null, '', root.location.pathname + root.location.search);
  }

  /** Fills the token field from the link or sessionStorage and saves it on click, then calls `onToken`. */
  function wireToken(onToken) {
    takeTokenFromLink();
    const input = byTestId('token-input');
    input.value = token();
    byTestId('token-save').addEventListener('click', () => {
      saveToken(input.value);
      onToken(token());
    });
    if (token()) onToken(token());
  }

  /** Downloads a response of the API as a file (the export needs the bearer header, which a plain link cannot send). */
  async function download(path, filename) {
    const res = await api(path, { raw: true });
    const url = root.URL.createObjectURL(await res.blob());
    const link = el('a', { href: url, download: filename });
    root.document.body.append(link);
    link.click();
    link.remove();
    root.setTimeout(() => root.URL.revokeObjectURL(url), 10_000);
  }

  root.PageKit = { decodeJwtPayload, escapeXml, barChartSvg, formatNumber, jsonDiff, token, saveToken, api, el, svgElement, byTestId, showError, wireToken, download };
})(typeof window !== 'undefined' ? window : globalThis);
