// Sluice's web app: a few pages over the Admin API, signed in with an admin token.
// Everything is built with DOM calls (never innerHTML), so data from events cannot inject markup.

const tokenKey = 'sluice.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let role = null;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = 'GET', body, signOutOnRefusal = true } = {}) {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${sessionStorage.getItem(tokenKey)}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (response.status === 401 && signOutOnRefusal) { signOut(); throw new ApiError(401, json); }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

function show(title, ...content) {
  document.title = `${title} · Sluice`;
  main.replaceChildren(h('h1', { text: title }), ...content.flat().filter((c) => c !== null && c !== undefined && c !== false));
  main.focus();
}

function problem(error) {
  return h('p', { class: 'notice bad', role: 'alert', text: error.message });
}

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

// ---- sign in ----------------------------------------------------------------------------------

function signInPage() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-error' });
  const error = h('p', { id: 'token-error', class: 'field-error', role: 'alert' });
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      sessionStorage.setItem(tokenKey, input.value.trim());
      try {
        role = (await api('/me', { signOutOnRefusal: false })).role;
        location.hash = '#/destinations';
        if (location.hash === '#/destinations') route();
      } catch (failure) {
        sessionStorage.removeItem(tokenKey);
        error.textContent = failure.status === 401 ? 'This token is not valid.' : failure.message;
        input.focus();
      }
    },
  }, h('label', { for: 'token', text: 'Admin token' }), input, error,
  h('p', { class: 'muted', text: 'The owner token is printed when Sluice first starts; owners mint more on the Tokens page.' }),
  h('button', { type: 'submit', text: 'Sign in' }));
  nav.hidden = true;
  show('Sign in', form);
  input.focus();
}

function signOut() {
  sessionStorage.removeItem(tokenKey);
  role = null;
  location.hash = '#/signin';
}

// ---- catalog ----------------------------------------------------------------------------------

async function catalogPage() {
  const { destinations } = await api('/catalog');
  const search = h('input', { type: 'search', id: 'catalog-search', placeholder: 'Search destinations', 'aria-label': 'Search destinations' });
  const grid = h('div', { class: 'grid' });
  const render = () => {
    const term = search.value.trim().toLowerCase();
    grid.replaceChildren(...destinations
      .filter((d) => !term || d.name.toLowerCase().includes(term) || d.description.toLowerCase().includes(term))
      .map((d) => h('article', { class: 'card' },
        h('h3', {}, h('a', { href: `#/catalog/${d.slug}`, text: d.name })),
        h('p', { class: 'muted', text: d.description }),
        h('p', {}, h('span', { class: 'badge', text: `${Object.keys(d.actions).length} actions` }), ' ', h('span', { class: 'badge', text: `${d.presets.length} presets` })))));
  };
  search.addEventListener('input', render);
  render();
  show('Catalog', search, h('p'), grid);
}

async function catalogEntryPage(slug) {
  const d = await api(`/catalog/${encodeURIComponent(slug)}`);
  show(d.name,
    h('p', { text: d.description }),
    d.supportedTypes ? h('p', { class: 'muted', text: `Takes: ${d.supportedTypes.join(', ')} calls` }) : null,
    h('h2', { text: 'Settings' }),
    h('table', {}, h('tr', {}, h('th', { text: 'Setting' }), h('th', { text: 'Type' }), h('th', { text: 'Required' }), h('th', { text: 'About' })),
      Object.entries(d.settings).map(([key, s]) => h('tr', {}, h('td', {}, h('code', { text: key })), h('td', { text: s.secret ? `${s.type} (secret)` : s.type }), h('td', { text: s.required ? 'yes' : 'no' }), h('td', { text: s.description })))),
    h('h2', { text: 'Actions' }),
    Object.entries(d.actions).map(([key, a]) => h('section', { class: 'card' },
      h('h3', { text: `${a.title} (${key})` }), h('p', { class: 'muted', text: a.description }),
      h('table', {}, h('tr', {}, h('th', { text: 'Field' }), h('th', { text: 'Type' }), h('th', { text: 'Required' }), h('th', { text: 'Default' })),
        Object.entries(a.fields).filter(([, f]) => !f.hidden).map(([name, f]) => h('tr', {}, h('td', {}, h('code', { text: name })), h('td', { text: f.multiple ? `${f.type}[]` : f.type }), h('td', { text: f.required ? 'yes' : 'no' }), h('td', {}, f.default !== null && f.default !== undefined ? h('code', { text: JSON.stringify(f.default) }) : '')))))),
    h('h2', { text: 'Presets' }),
    d.presets.length ? h('table', {}, h('tr', {}, h('th', { text: 'Preset' }), h('th', { text: 'Trigger' }), h('th', { text: 'Action' })),
      d.presets.map((p) => h('tr', {}, h('td', { text: p.name }), h('td', {}, h('code', { text: p.trigger })), h('td', { text: p.action })))) : h('p', { class: 'muted', text: 'None: every delivery comes from a mapping you write.' }));
}

// ---- destinations -----------------------------------------------------------------------------

async function destinationsPage() {
  const { destinations } = await api('/destinations');
  const stats = await Promise.all(destinations.map((d) => api(`/destinations/${encodeURIComponent(d.id)}/stats`)));
  show('Destinations', destinations.length === 0
    ? h('p', { class: 'muted' }, 'No destination yet. Pick one in the ', h('a', { href: '#/catalog', text: 'catalog' }), '.')
    : h('table', {}, h('tr', {}, h('th', { text: 'Destination' }), h('th', { text: 'Type' }), h('th', { text: 'Delivered' }), h('th', { text: 'Failed' }), h('th', { text: 'Managed by' })),
      destinations.map((d, i) => h('tr', {},
        h('td', {}, h('a', { href: `#/destinations/${encodeURIComponent(d.id)}`, text: d.name }), d.enabled ? '' : h('span', { class: 'badge', text: 'disabled' })),
        h('td', { text: d.catalogName ?? d.type }),
        h('td', { class: 'status-delivered', text: stats[i].delivered }),
        h('td', { class: 'status-failed', text: stats[i].failed }),
        h('td', { text: d.managedBy })))));
}

function chart(buckets) {
  const width = 720, height = 160, gap = 2;
  const max = Math.max(1, ...buckets.map((b) => b.delivered + b.failed + b.retrying + b.skipped + b.filtered));
  const bar = (width - gap * buckets.length) / Math.max(1, buckets.length);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Deliveries per hour by status');
  buckets.forEach((b, i) => {
    let y = height;
    for (const [status, css] of [['delivered', 'delivered'], ['retrying', 'retrying'], ['failed', 'failed'], ['skipped', 'other'], ['filtered', 'other']]) {
      const h = (b[status] / max) * (height - 10);
      if (h <= 0) continue;
      y -= h;
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      rect.setAttribute('x', String(i * (bar + gap)));
      rect.setAttribute('y', String(y));
      rect.setAttribute('width', String(bar));
      rect.setAttribute('height', String(h));
      rect.setAttribute('class', css);
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = `${formatTime(b.start)}: ${b[status]} ${status}`;
      rect.append(title);
      svg.append(rect);
    }
  });
  return svg;
}

async function destinationPage(id) {
  const path = `/destinations/${encodeURIComponent(id)}`;
  const [d, stats, timeline, failures] = await Promise.all([api(path), api(`${path}/stats`), api(`${path}/stats/timeline?hours=24`), api(`${path}/deliveries?status=failed&limit=20`)]);
  const replayState = h('p', { role: 'status', class: 'muted' });
  const replay = h('button', {
    type: 'button', id: 'replay', class: 'secondary', disabled: stats.failed === 0,
    onclick: async () => {
      replay.disabled = true;
      try {
        const { requeued } = await api(`${path}/replay`, { method: 'POST', body: { status: 'failed' } });
        replayState.textContent = `Sending ${requeued} again…`;
        for (let i = 0; i < 120 && requeued > 0; i++) {
          const now = await api(`${path}/stats`);
          replayState.textContent = `Sending ${requeued} again: ${now.pending + now.retrying} waiting, ${now.delivered} delivered in all.`;
          if (now.pending === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        replayState.textContent += ' Done.';
      } catch (failure) {
        replayState.textContent = failure.message;
      }
    },
  }, 'Replay failed deliveries');
  show(d.name,
    h('p', { class: 'muted', text: `${d.catalogName ?? d.type} · reads from ${d.sources.join(', ')} · managed by ${d.managedBy}${d.enabled ? '' : ' · disabled'}` }),
    h('h2', { text: 'Delivery overview' }),
    h('div', { class: 'stats' }, ['delivered', 'retrying', 'failed', 'skipped', 'filtered'].map((s) => h('div', {}, h('strong', { class: `status-${s}`, text: stats[s] }), s))),
    h('h2', { text: 'Last 24 hours' }), chart(timeline.buckets),
    h('div', { class: 'legend' }, h('span', { class: 'status-delivered', text: '■ delivered' }), h('span', { class: 'status-retrying', text: '■ retrying' }), h('span', { class: 'status-failed', text: '■ failed' }), h('span', { text: '■ skipped or filtered' })),
    h('h2', { text: 'Recent failures' }),
    failures.deliveries.length === 0 ? h('p', { class: 'muted', text: 'None.' }) : h('table', {}, h('tr', {}, h('th', { text: 'Message' }), h('th', { text: 'Mapping' }), h('th', { text: 'Why' }), h('th', { text: 'The service answered' })),
      failures.deliveries.map((f) => h('tr', {}, h('td', {}, h('code', { text: f.messageId })), h('td', { text: f.mapping ?? '' }), h('td', { text: f.reason ?? '' }), h('td', {}, f.response ? h('code', { text: f.response }) : '')))),
    h('div', { class: 'row actions' }, replay), replayState,
    h('h2', { text: 'Mappings' }),
    h('table', {}, h('tr', {}, h('th', { text: 'Mapping' }), h('th', { text: 'Trigger' }), h('th', { text: 'Action' }), h('th', { text: 'State' })),
      d.mappings.map((m) => h('tr', {}, h('td', { text: m.name }), h('td', {}, h('code', { text: m.trigger })), h('td', { text: m.action }), h('td', { text: `${m.enabled ? 'enabled' : 'disabled'}${m.preset ? ' · preset' : ''}` })))),
    h('h2', { text: 'Settings' }),
    Object.keys(d.settings).length === 0 ? h('p', { class: 'muted', text: 'None.' }) : h('table', {}, Object.entries(d.settings).map(([key, value]) => h('tr', {}, h('th', { text: key }), h('td', {}, h('code', { text: typeof value === 'string' ? value : JSON.stringify(value) }))))));
}

// ---- sources and the live debugger ------------------------------------------------------------

async function sourcesPage() {
  const { sources } = await api('/sources');
  show('Sources', h('table', {}, h('tr', {}, h('th', { text: 'Source' }), h('th', { text: 'Write key' }), h('th', { text: 'Managed by' })),
    sources.map((s) => h('tr', {},
      h('td', {}, h('a', { href: `#/sources/${encodeURIComponent(s.id)}`, text: s.name })),
      h('td', {}, h('div', { class: 'row' }, h('code', { text: s.writeKey }),
        s.writeKey.startsWith('••') ? null : h('button', { type: 'button', class: 'secondary', 'aria-label': `Copy the write key of ${s.name}`, onclick: (event) => navigator.clipboard?.writeText(s.writeKey).then(() => { event.target.textContent = 'Copied'; }) }, 'Copy'))),
      h('td', { text: s.managedBy })))));
}

let stopDebugger = null;

async function sourcePage(id) {
  const source = await api(`/sources/${encodeURIComponent(id)}`);
  const list = h('div', { id: 'live-events', 'aria-live': 'polite' });
  const state = h('p', { class: 'muted', role: 'status', text: 'Waiting for events…' });
  let paused = false;
  let held = [];
  const add = (message) => {
    const entry = h('details', { class: 'card' }, h('summary', {}, h('strong', { text: message.type ?? '?' }), ' ', message.event ?? message.name ?? '', ' ', h('span', { class: 'muted', text: `${message.userId ?? message.anonymousId ?? ''} · ${formatTime(message.receivedAt)}` })), h('pre', { text: JSON.stringify(message, null, 2) }));
    list.prepend(entry);
    while (list.childElementCount > 200) list.lastElementChild.remove();
  };
  const pause = h('button', {
    type: 'button', id: 'pause', class: 'secondary',
    onclick: () => {
      paused = !paused;
      pause.textContent = paused ? 'Resume' : 'Pause';
      if (!paused) { held.forEach(add); held = []; }
      state.textContent = paused ? 'Paused: new events are held.' : 'Live.';
    },
  }, 'Pause');
  show(`Debugger: ${source.name}`, h('p', { class: 'muted', text: 'Events appear here as Sluice stores them.' }), h('div', { class: 'row' }, pause), state, list);

  const controller = new AbortController();
  stopDebugger = () => controller.abort();
  try {
    const response = await fetch(`/api/v1/sources/${encodeURIComponent(id)}/live`, { headers: { Authorization: `Bearer ${sessionStorage.getItem(tokenKey)}` }, signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    state.textContent = 'Live.';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.startsWith('data: ')) continue;
        const message = JSON.parse(block.slice(6));
        if (paused) held.push(message); else add(message);
      }
    }
  } catch (failure) {
    if (failure.name !== 'AbortError') state.textContent = `The stream stopped: ${failure.message}`;
  }
}

// ---- tokens -----------------------------------------------------------------------------------

async function tokensPage() {
  const { tokens } = await api('/tokens');
  const name = h('input', { id: 'token-name', required: true, 'aria-describedby': 'token-name-error' });
  const nameError = h('p', { id: 'token-name-error', class: 'field-error', role: 'alert' });
  const roleSelect = h('select', { id: 'token-role' }, ['read-only', 'workspace-member', 'workspace-owner'].map((r) => h('option', { value: r, text: r })));
  const minted = h('div');
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      nameError.textContent = '';
      try {
        const token = await api('/tokens', { method: 'POST', body: { name: name.value, role: roleSelect.value } });
        minted.replaceChildren(h('div', { class: 'notice', role: 'status' }, h('p', { text: `Token “${token.name}” (${token.role}). It is shown once: copy it now.` }), h('code', { id: 'new-token', text: token.token })));
        await tokensPage();
        main.append(minted);
      } catch (failure) {
        if (failure.body?.error?.code === 'invalid_name') { nameError.textContent = failure.message; name.focus(); } else minted.replaceChildren(problem(failure));
      }
    },
  }, h('h2', { text: 'Mint a token' }), h('label', { for: 'token-name', text: 'What it is for' }), name, nameError, h('label', { for: 'token-role', text: 'Role' }), roleSelect, h('p'), h('button', { type: 'submit', text: 'Mint' }));
  show('Tokens', h('table', {}, h('tr', {}, h('th', { text: 'Token' }), h('th', { text: 'Role' }), h('th', { text: 'Made' }), h('th', { text: '' })),
    tokens.map((t) => h('tr', {}, h('td', { text: t.name }), h('td', { text: t.role }), h('td', { text: formatTime(t.createdAt) }),
      h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${t.name}`, onclick: async () => { try { await api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' }); await tokensPage(); } catch (failure) { main.append(problem(failure)); } } }, 'Revoke'))))),
  form, minted);
}

// ---- routing ----------------------------------------------------------------------------------

const routes = [
  [/^#\/catalog$/, catalogPage],
  [/^#\/catalog\/([^/]+)$/, catalogEntryPage],
  [/^#\/destinations$/, destinationsPage],
  [/^#\/destinations\/([^/]+)$/, destinationPage],
  [/^#\/sources$/, sourcesPage],
  [/^#\/sources\/([^/]+)$/, sourcePage],
  [/^#\/tokens$/, tokensPage],
];

async function route() {
  stopDebugger?.();
  stopDebugger = null;
  if (!sessionStorage.getItem(tokenKey) || location.hash === '#/signin') { signInPage(); return; }
  if (!role) {
    try { role = (await api('/me')).role; } catch { signInPage(); return; }
  }

  nav.hidden = false;
  for (const link of nav.querySelectorAll('a')) {
    link.hidden = link.dataset.role !== undefined && link.dataset.role !== role;
    if (location.hash.startsWith(link.getAttribute('href'))) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }

  const [pattern, page] = routes.find(([p]) => p.test(location.hash)) ?? [null, null];
  if (!page) { location.hash = '#/destinations'; return; }
  try {
    await page(...location.hash.match(pattern).slice(1).map(decodeURIComponent));
  } catch (failure) {
    if (failure.status !== 401) show('Something went wrong', problem(failure));
  }
}

document.getElementById('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
route();
