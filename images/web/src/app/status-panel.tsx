/** Readiness of the API and of what it depends on, as the API itself reports it. */
import type { DependencyStatus, Readiness } from '@/lib/api'

const HEADINGS: Record<Readiness['state'], string> = {
  ready: 'API ready',
  unavailable: 'API up, but not ready',
  unreachable: 'API unreachable',
  error: 'API answered unexpectedly',
}

/** The panel's left edge tells the state at a glance; the heading says it in words. */
const EDGE: Record<Readiness['state'], string> = {
  ready: 'border-l-green-700 dark:border-l-green-400',
  unavailable: 'border-l-amber-600 dark:border-l-amber-400',
  unreachable: 'border-l-red-700 dark:border-l-red-400',
  error: 'border-l-red-700 dark:border-l-red-400',
}

const OK = 'font-semibold text-green-800 dark:text-green-400'
const BAD = 'font-semibold text-red-700 dark:text-red-400'
const MUTED = 'text-slate-600 dark:text-slate-400'

function Dependency({ label, dep }: { label: string; dep: DependencyStatus }) {
  const pool = dep.pool ? Object.entries(dep.pool).map(([k, v]) => `${k}=${String(v)}`).join(', ') : null
  return (
    <li data-testid={`dependency-${label.toLowerCase()}`} data-ok={dep.ok} className="wrap-anywhere">
      {label}: <span className={dep.ok ? OK : BAD}>{dep.ok ? 'ok' : 'failing'}</span>
      {dep.error ? <span className={MUTED}> — {dep.error}</span> : null}
      {pool ? <span className={MUTED}> (pool: {pool})</span> : null}
    </li>
  )
}

/** Says why the API could not be asked, never where it is: its internal address is for the server log. */
export function StatusPanel({ readiness }: { readiness: Readiness }) {
  return (
    <section
      className={`min-w-0 rounded-lg border border-l-8 border-slate-300 p-4 sm:p-5 dark:border-slate-700 ${EDGE[readiness.state]}`}
      data-testid="api-status"
      data-state={readiness.state}
      aria-live="polite"
    >
      <h2 className="mb-2 text-xl font-semibold">{HEADINGS[readiness.state]}</h2>
      {'reason' in readiness ? (
        <p className="wrap-anywhere">
          Could not get the API&apos;s readiness: {readiness.reason}. This page keeps working; reload it once the API
          is back.
        </p>
      ) : (
        <ul className="space-y-1">
          <Dependency label="Database" dep={readiness.database} />
          <Dependency label="Redis" dep={readiness.redis} />
        </ul>
      )}
    </section>
  )
}
