// Fills the status card from /ready: one line per dependency, green when it answers, red with why not
// (unreachable | timeout | error; the reason itself only where /ready gives `details`, i.e. locally).
const summary = document.getElementById('status-summary');
const list = document.getElementById('checks');

function row(name, state, reason) {
  const li = document.createElement('li');
  const ok = state === 'ok';
  li.className = ok ? 'ok' : 'failing';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.setAttribute('aria-label', ok ? 'up' : 'down');
  const label = document.createElement('span');
  label.className = 'name';
  label.textContent = name;
  const detail = document.createElement('span');
  detail.className = 'detail';
  detail.textContent = ok ? 'answers' : reason ? `${state}: ${reason}` : state;
  li.append(badge, label, detail);
  return li;
}

async function refresh() {
  try {
    const res = await fetch('/ready', { headers: { accept: 'application/json' } });
    const body = await res.json();
    const checks = Object.entries(body.checks ?? {});
    list.replaceChildren(...checks.map(([name, state]) => row(name, state, body.details?.[name])));
    const failing = checks.filter(([, state]) => state !== 'ok').length;
    summary.textContent =
      failing === 0 ? 'Every dependency answers.' : `${failing} of ${checks.length} ${failing === 1 ? 'dependency does' : 'dependencies do'} not answer.`;
  } catch (err) {
    list.replaceChildren();
    summary.textContent = `The leaderboard service does not answer (${err.message}).`;
  }
}

refresh();
setInterval(refresh, 10_000);
