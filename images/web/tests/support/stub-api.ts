/**
 * A real HTTP server on 127.0.0.1 that plays the API, so tests exercise the actual network path
 * (sockets, status codes, timeouts) instead of mocking fetch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface StubApi {
  url: string
  port: number
  /** Every request received, in order. */
  requests: RecordedRequest[]
  /** Replace the handler of "METHOD /path" while running. */
  route(key: string, handler: Handler): void
  close(): Promise<void>
}

export function json(status: number, body: unknown): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
}

/** The API's largest page (images/api/app/api/routes/items.py, LIST_LIMIT_MAX). */
export const API_LIST_LIMIT_MAX = 200

/**
 * GET /items the way the API lists (images/api/app/api/routes/items.py, list_items): by id, `order`
 * asc (default) or desc, cursors `before`/`after` (ids), `offset` >= 0, 1 <= `limit` <= 200
 * (default 100), 422 outside those bounds. `items` must be in creation (id) order.
 */
export function pagedItems(items: ReadonlyArray<{ id: number }>): Handler {
  return (req, res, body) => {
    const query = new URL(req.url ?? '/', 'http://stub').searchParams
    const offset = Number(query.get('offset') ?? 0)
    const limit = Number(query.get('limit') ?? 100)
    const order = query.get('order') ?? 'asc'
    const before = query.has('before') ? Number(query.get('before')) : Infinity
    const after = query.has('after') ? Number(query.get('after')) : -Infinity
    const valid =
      Number.isInteger(offset) && offset >= 0 && Number.isInteger(limit) && limit >= 1 && limit <= API_LIST_LIMIT_MAX
    if (!valid || !['asc', 'desc'].includes(order) || Number.isNaN(before) || Number.isNaN(after)) {
      json(422, { detail: [{ loc: ['query', 'limit'], msg: 'out of range' }] })(req, res, body)
      return
    }
    const selected = items.filter((item) => item.id < before && item.id > after)
    if (order === 'desc') selected.reverse()
    json(200, selected.slice(offset, offset + limit))(req, res, body)
  }
}

/** `count` items with ids 1..count, created one minute apart from 2024-05-01T00:00:00Z. */
export function manyItems(count: number): Array<{ id: number; name: string; description: null; created_at: string }> {
  const start = Date.parse('2024-05-01T00:00:00Z')
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    name: `item number ${i + 1}`,
    description: null,
    created_at: new Date(start + i * 60_000).toISOString(),
  }))
}

/** Accepts the request and never answers: the shape of a hung upstream. */
export const never: Handler = () => {}

/** Closes the connection without answering: a keep-alive connection the API closed as the request arrived. */
export const hangUp: Handler = (req) => {
  req.socket.destroy()
}

/** Hangs up on the first request, then answers every later one with `then`. */
export function hangUpOnce(then: Handler): Handler {
  let calls = 0
  return (req, res, body) => (calls++ === 0 ? hangUp(req, res, body) : then(req, res, body))
}

/** Sends the status line and headers, then stalls before the body. */
export const stallAfterHeaders: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write('[')
}

export async function startStubApi(routes: Record<string, Handler> = {}, port = 0): Promise<StubApi> {
  const table = new Map(Object.entries(routes))
  const requests: RecordedRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      // An exact "METHOD /path?query" route wins over the route of its path alone.
      const pathOnly = (req.url ?? '').split('?')[0]
      const handler = table.get(`${req.method} ${req.url}`) ?? table.get(`${req.method} ${pathOnly}`)
      if (handler) handler(req, res, body)
      else json(404, { detail: 'Not Found' })(req, res, body)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    route: (key, handler) => void table.set(key, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A loopback port that was free a moment ago (nothing listens on it when this returns). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export const READY_BODY = {
  status: 'ready',
  database: { ok: true, pool: { size: 5, checked_out: 1 } },
  redis: { ok: true },
}

export const UNAVAILABLE_BODY = {
  status: 'unavailable',
  database: { ok: true, pool: { size: 5, checked_out: 0 } },
  redis: { ok: false, error: 'Error 111 connecting to redis:6379. Connection refused.' },
}

export const ITEMS = [
  { id: 1, name: 'first item', description: 'made by the stub', created_at: '2024-05-01T12:00:00Z' },
  { id: 2, name: 'second item', description: null, created_at: '2024-05-02T12:00:00Z' },
]
