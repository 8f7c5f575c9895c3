/**
 * Home page. Rendered per request on the server (connection() opts out of build-time prerendering,
 * as the API does not exist at build time), with both API calls made in parallel over the internal
 * network, so a down API costs at most one timeout and still yields a 200 page.
 */
import { connection } from 'next/server'
import { fetchItems, fetchReadiness, type ItemsResult } from '@/lib/api'
import { apiInternalUrl, publicUrl } from '@/lib/config'
import { AddItemForm } from './add-item-form'
import { StatusPanel } from './status-panel'

function ItemList({ result }: { result: ItemsResult }) {
  if (!result.ok) {
    return (
      <p data-testid="items" data-state="unavailable" className="bad">
        Items unavailable: {result.reason}.
      </p>
    )
  }
  if (result.items.length === 0) {
    return (
      <p data-testid="items" data-state="empty" data-count={0} className="muted">
        No items yet.
      </p>
    )
  }
  return (
    <ul className="items" data-testid="items" data-state="listed" data-count={result.items.length}>
      {result.items.map((item) => (
        <li key={String(item.id)} data-testid="item">
          <strong>{item.name}</strong>
          {item.description ? <> — {item.description}</> : null}
          <br />
          <small className="muted">
            #{String(item.id)} · created <time dateTime={item.created_at}>{item.created_at}</time>
          </small>
        </li>
      ))}
    </ul>
  )
}

export default async function HomePage() {
  await connection()
  const api = { baseUrl: apiInternalUrl() }
  const [readiness, items] = await Promise.all([fetchReadiness(api), fetchItems(api)])
  const site = publicUrl()
  return (
    <main>
      <h1>standard-stack</h1>
      <p className="muted">
        {site ? (
          <>
            Served at <a href={site}>{site}</a> · <a href={`${site}/api/health`}>web health</a>
          </>
        ) : (
          <>
            PUBLIC_URL is not set · <a href="/api/health">web health</a>
          </>
        )}
      </p>
      <StatusPanel readiness={readiness} apiUrl={api.baseUrl} />
      <section className="panel">
        <h2>Items</h2>
        <ItemList result={items} />
      </section>
      <section className="panel">
        <h2>Add an item</h2>
        <AddItemForm />
      </section>
    </main>
  )
}
