/** Readiness of the API and of what it depends on, as the API itself reports it. */
import type { DependencyStatus, Readiness } from '@/lib/api'

const HEADINGS: Record<Readiness['state'], string> = {
  ready: 'API ready',
  unavailable: 'API up, but not ready',
  unreachable: 'API unreachable',
  error: 'API answered unexpectedly',
}

function Dependency({ label, dep }: { label: string; dep: DependencyStatus }) {
  const pool = dep.pool ? Object.entries(dep.pool).map(([k, v]) => `${k}=${String(v)}`).join(', ') : null
  return (
    <li data-testid={`dependency-${label.toLowerCase()}`} data-ok={dep.ok}>
      {label}: <span className={dep.ok ? 'ok' : 'bad'}>{dep.ok ? 'ok' : 'failing'}</span>
      {dep.error ? <span className="muted"> — {dep.error}</span> : null}
      {pool ? <span className="muted"> (pool: {pool})</span> : null}
    </li>
  )
}

export function StatusPanel({ readiness, apiUrl }: { readiness: Readiness; apiUrl: string }) {
  return (
    <section className="panel" data-testid="api-status" data-state={readiness.state} aria-live="polite">
      <h2>{HEADINGS[readiness.state]}</h2>
      {'reason' in readiness ? (
        <p>
          Could not get the API&apos;s readiness from <code>{apiUrl}</code>: {readiness.reason}. This page keeps
          working; reload it once the API is back.
        </p>
      ) : (
        <ul>
          <Dependency label="Database" dep={readiness.database} />
          <Dependency label="Redis" dep={readiness.redis} />
        </ul>
      )}
    </section>
  )
}
