/**
 * Home page. Rendered per request on the server (connection() opts out of build-time prerendering,
 * as the API does not exist at build time), with both API calls made in parallel over the internal
 * network, so a down API costs at most one timeout and still yields a 200 page.
 */
import Image from 'next/image'
import { connection } from 'next/server'
import { fetchItems, fetchReadiness, type ItemsResult } from '@/lib/api'
import { apiInternalUrl, publicUrl } from '@/lib/config'
import { formatTimestamp } from '@/lib/format'
import { AddItemForm } from './add-item-form'
import { StatusPanel } from './status-panel'

const PANEL = 'min-w-0 rounded-lg border border-slate-300 p-4 sm:p-5 dark:border-slate-700'
const MUTED = 'text-slate-600 dark:text-slate-400'
const LINK =
  'text-blue-700 underline underline-offset-2 hover:text-blue-900 focus-visible:outline-2 ' +
  'focus-visible:outline-offset-2 focus-visible:outline-blue-700 dark:text-blue-300 dark:hover:text-blue-200 ' +
  'dark:focus-visible:outline-blue-300'

function ItemList({ result }: { result: ItemsResult }) {
  if (!result.ok) {
    return (
      <p data-testid="items" data-state="unavailable" className="font-semibold text-red-700 wrap-anywhere dark:text-red-400">
        Items unavailable: {result.reason}.
      </p>
    )
  }
  if (result.items.length === 0) {
    return (
      <p data-testid="items" data-state="empty" data-count={0} className={MUTED}>
        No items yet.
      </p>
    )
  }
  const shown = result.items.length
  return (
    <>
      {result.more ? <p className={`mb-2 text-sm ${MUTED}`}>Showing the {shown} newest items.</p> : null}
      <ul
        className="divide-y divide-slate-200 dark:divide-slate-800"
        data-testid="items"
        data-state="listed"
        data-count={shown}
        data-more={result.more}
      >
        {result.items.map((item) => (
          <li key={String(item.id)} data-testid="item" className="min-w-0 py-3">
            <p className="font-semibold wrap-anywhere">{item.name}</p>
            {item.description ? <p className="wrap-anywhere">{item.description}</p> : null}
            <p className={`text-sm ${MUTED}`}>
              #{String(item.id)} · created{' '}
              <time dateTime={item.created_at} title={item.created_at}>
                {formatTimestamp(item.created_at)}
              </time>
            </p>
          </li>
        ))}
      </ul>
    </>
  )
}

export default async function HomePage() {
  await connection()
  const api = { baseUrl: apiInternalUrl() }
  const [readiness, items] = await Promise.all([fetchReadiness(api), fetchItems(api)])
  // The page names no internal address; the log says which one failed.
  if ('reason' in readiness) console.error(`web: API readiness from ${api.baseUrl}: ${readiness.reason}`)
  if (!items.ok) console.error(`web: API item list from ${api.baseUrl}: ${items.reason}`)
  const site = publicUrl()
  // The web app's own liveness route; /api/* belongs to the API behind the reverse proxy.
  const health = `${site ?? ''}/health`
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-6 px-4 py-8 sm:px-6">
      <header className="min-w-0">
        <h1 className="text-3xl font-bold tracking-tight">standard-stack</h1>
        <p className={`mt-1 wrap-anywhere ${MUTED}`}>
          {site ? (
            <>
              Served at <a className={LINK} href={site}>{site}</a>
            </>
          ) : (
            <>PUBLIC_URL is not set</>
          )}{' '}
          · <a className={LINK} href={health}>web health</a>
        </p>
      </header>
      <figure className={PANEL}>
        <Image
          src="/stack.png"
          width={1600}
          height={800}
          sizes="(max-width: 48rem) 100vw, 46rem"
          priority
          data-testid="stack-image"
          alt="Diagram of the stack: a reverse proxy in front of the web app and the API; the API keeps items in PostgreSQL and caches them in Redis."
          className="h-auto w-full rounded-md"
        />
        <figcaption className={`mt-2 text-sm ${MUTED}`}>
          Proxy (grey) → web app (blue) and API (green) → PostgreSQL (indigo) and Redis (red).
        </figcaption>
      </figure>
      <StatusPanel readiness={readiness} />
      <section className={PANEL} aria-labelledby="items-heading">
        <h2 id="items-heading" className="mb-2 text-xl font-semibold">
          Items
        </h2>
        <ItemList result={items} />
      </section>
      <section className={PANEL} aria-labelledby="add-heading">
        <h2 id="add-heading" className="mb-2 text-xl font-semibold">
          Add an item
        </h2>
        <AddItemForm />
      </section>
    </main>
  )
}
