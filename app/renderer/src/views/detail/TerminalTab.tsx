import { useEffect, useReducer, useRef } from 'react';
import { closeSession, getSession, openSession } from '../../terminal/sessions.js';
import type { ContainerDetail } from '../../../../shared/ipc.js';

export function TerminalTab({ detail }: { detail: ContainerDetail }) {
  const ref = useRef<HTMLDivElement>(null);
  const [gen, bump] = useReducer((x: number) => x + 1, 0);
  const running = detail.state === 'running';
  useEffect(() => {
    const el = ref.current;
    if (!el || !running) return;
    const s = getSession(detail.id) ?? openSession(detail.id);
    el.appendChild(s.host);
    s.fit();
    s.term.focus();
    const ro = new ResizeObserver(() => s.fit());
    ro.observe(el);
    const off = s.onStateChange(bump);
    return () => {
      ro.disconnect();
      off();
      s.host.remove(); // the session lives on; only its place in the DOM goes
    };
  }, [detail.id, running, gen]);
  if (!running) return <div className="tab-pad muted">Start the container to open a terminal.</div>;
  return (
    <div className="terminal-tab">
      <div className="terminal-bar">
        <span className="muted">
          Shell in <b>{detail.name}</b> · bash if present, else sh · Ctrl+Shift+C / Ctrl+Shift+V to copy and
          paste
        </span>
        <button
          className="btn small"
          onClick={() => {
            closeSession(detail.id);
            bump();
          }}
        >
          New session
        </button>
      </div>
      <div className="terminal-panel" ref={ref} data-testid="terminal" />
    </div>
  );
}
