/**
 * Server-side client of the standard-stack API.
 *
 * Every call has a hard deadline and turns every failure into a value, because the page must render
 * (HTTP 200, with an explanation) when the API is down, slow or answering nonsense, rather than
 * crash or hang. Responses are checked against the contract shape instead of trusted blindly.
 */

/** Deadline for one API call, body included: short, since a user is waiting on the page. */
export const DEFAULT_TIMEOUT_MS = 3000

export interface ApiOptions {
  /** Base URL without trailing slash, e.g. http://api:8000. */
  baseUrl: string
  timeoutMs?: number
}

export interface DependencyStatus {
  ok: boolean
  error?: string
  /** Connection pool figures as the API reports them (database only). */
  pool?: Record<string, unknown>
}

export type Readiness =
  | { state: 'ready' | 'unavailable'; database: DependencyStatus; redis: DependencyStatus }
  /** Connection refused, DNS failure, timeout: nothing came back. */
  | { state: 'unreachable'; reason: string }
  /** Something answered, but not what the contract says. */
  | { state: 'error'; reason: string }

export interface Item {
  id: number | string
  name: string
  description: string | null
  created_at: string
  visits?: number
}

/** The newest items, newest first; `more` is true when the API holds older ones too. */
export type ItemsResult = { ok: true; items: Item[]; more: boolean } | { ok: false; reason: string }

/** The fields of the add-item form, as the API names them in 422 `loc` paths. */
export type ItemField = 'name' | 'description'
export type FieldErrors = Partial<Record<ItemField, string>>

export type CreateItemResult = { ok: true; item: Item } | { ok: false; reason: string; fieldErrors: FieldErrors }

/**
 * How many of the newest items a page view shows. They are read in one call, newest first
 * (`GET /items?order=desc&limit=`, one index range scan: images/api/app/api/routes/items.py,
 * list_items), asking for one more than shown to learn whether older ones exist. The API
 * counts nothing, so a page view costs the same whatever the table holds.
 */
export const ITEMS_SHOWN = 100

/** A failure of one call, already phrased for a person; `unreachable` tells network from protocol. */
class ApiCallError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message)
  }
}

interface JsonResponse {
  status: number
  body: unknown
}

interface CallInit {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
}

/**
 * Connection-level failures after which a GET is sent once more, on a new connection. The common
 * one is a pooled keep-alive connection that the API closed as the request went out (an API
 * container stopping after a create-first replacement closes its idle connections), which undici
 * fails rather than retries (lib/dispatcher/client-h1.js, the socket's close handler: "Fail head of
 * pipeline"). Go's net/http retries the same cases for replayable requests (transport.go,
 * persistConn.shouldRetryRequest). A GET is safe to repeat; a POST is not, and is never repeated.
 */
const RETRYABLE_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE'])

function isRetryable(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause as { code?: string } | undefined) : undefined
  return cause?.code !== undefined && RETRYABLE_CODES.has(cause.code)
}

async function callApi(opts: ApiOptions, path: string, init: CallInit = {}): Promise<JsonResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  // One signal for the whole exchange, retry included: a server that sends headers and then stalls
  // still times out, and a retry never stretches the deadline.
  const signal = AbortSignal.timeout(timeoutMs)
  const attempts = (init.method ?? 'GET') === 'GET' ? 2 : 1
  let response: Response
  let text: string
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(`${opts.baseUrl}${path}`, {
        ...init,
        cache: 'no-store',
        signal,
        headers: { accept: 'application/json', ...init.headers },
      })
      text = await response.text()
      break
    } catch (err) {
      if (attempt < attempts && !signal.aborted && isRetryable(err)) {
        // One line in the container's log: how often a deploy's swap costs a repeated request.
        console.warn(`api: GET ${path} failed (${describeNetworkError(err, timeoutMs)}); sending it again`)
        continue
      }
      throw new ApiCallError(describeNetworkError(err, timeoutMs), true)
    }
  }
  let body: unknown = undefined
  if (text.length > 0) {
    try {
      body = JSON.parse(text)
    } catch {
      throw new ApiCallError(`HTTP ${response.status} with a body that is not JSON`, false)
    }
  }
  return { status: response.status, body }
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`
  }
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined
  if (cause?.code === 'ECONNREFUSED') return 'connection refused'
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'host name not found'
  if (cause?.code) return `network error (${cause.code})`
  // Without a code the message is free text that may name internal hosts: the log gets it, the page does not.
  console.error(`api: network error without a code: ${cause?.message ?? (err instanceof Error ? err.message : String(err))}`)
  return 'network error'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseDependency(value: unknown): DependencyStatus | null {
  if (!isRecord(value) || typeof value.ok !== 'boolean') return null
  const dep: DependencyStatus = { ok: value.ok }
  if (typeof value.error === 'string') dep.error = value.error
  if (isRecord(value.pool)) dep.pool = value.pool
  return dep
}

function parseItem(value: unknown): Item | null {
  if (!isRecord(value)) return null
  const { id, name, description, created_at, visits } = value
  if (typeof id !== 'number' && typeof id !== 'string') return null
  if (typeof name !== 'string') return null
  if (description !== null && description !== undefined && typeof description !== 'string') return null
  if (typeof created_at !== 'string') return null
  const item: Item = { id, name, description: description ?? null, created_at }
  if (typeof visits === 'number') item.visits = visits
  return item
}

/** FastAPI puts the reason in `detail`: a string, or a list of validation errors with `msg`. */
function describeRejection(status: number, body: unknown): string {
  const detail = isRecord(body) ? body.detail : undefined
  if (typeof detail === 'string') return `HTTP ${status}: ${detail}`
  if (Array.isArray(detail)) {
    const messages = detail.map((d) => (isRecord(d) && typeof d.msg === 'string' ? d.msg : null)).filter(Boolean)
    if (messages.length > 0) return `HTTP ${status}: ${messages.join('; ')}`
  }
  return `HTTP ${status}`
}

/** Per-field messages from a FastAPI 422 (`loc` = ["body", field, ...]); other entries are ignored. */
function fieldErrorsOf(body: unknown): FieldErrors {
  const detail = isRecord(body) ? body.detail : undefined
  const errors: FieldErrors = {}
  if (!Array.isArray(detail)) return errors
  for (const d of detail) {
    if (!isRecord(d) || typeof d.msg !== 'string' || !Array.isArray(d.loc)) continue
    const [where, field] = d.loc as unknown[]
    if (where === 'body' && (field === 'name' || field === 'description')) {
      errors[field] = errors[field] ? `${errors[field]}; ${d.msg}` : d.msg
    }
  }
  return errors
}

function failure(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** GET /health/ready: 200 means ready, 503 unavailable, both with per-dependency detail. */
export async function fetchReadiness(opts: ApiOptions): Promise<Readiness> {
  let res: JsonResponse
  try {
    res = await callApi(opts, '/health/ready')
  } catch (err) {
    const unreachable = err instanceof ApiCallError && err.unreachable
    return { state: unreachable ? 'unreachable' : 'error', reason: failure(err) }
  }
  if (res.status !== 200 && res.status !== 503) {
    return { state: 'error', reason: `unexpected HTTP ${res.status} from /health/ready` }
  }
  const body = res.body
  const database = isRecord(body) ? parseDependency(body.database) : null
  const redis = isRecord(body) ? parseDependency(body.redis) : null
  if (!database || !redis) {
    return { state: 'error', reason: `HTTP ${res.status} from /health/ready without database and redis status` }
  }
  return { state: res.status === 200 ? 'ready' : 'unavailable', database, redis }
}

/** GET /items newest first, in one call: the newest `shown` items, or why they could not be had. */
export async function fetchItems(opts: ApiOptions, shown: number = ITEMS_SHOWN): Promise<ItemsResult> {
  try {
    const res = await callApi(opts, `/items?order=desc&limit=${shown + 1}`)
    if (res.status !== 200) return { ok: false, reason: describeRejection(res.status, res.body) }
    if (!Array.isArray(res.body)) return { ok: false, reason: 'the item list is not a JSON array' }
    const items = res.body.map(parseItem)
    if (items.some((item) => item === null)) return { ok: false, reason: 'the item list has malformed entries' }
    return { ok: true, items: (items as Item[]).slice(0, shown), more: items.length > shown }
  } catch (err) {
    return { ok: false, reason: failure(err) }
  }
}

/** POST /items: 201 with the created item, or the API's reason for refusing. */
export async function createItem(
  opts: ApiOptions,
  input: { name: string; description: string | null },
): Promise<CreateItemResult> {
  try {
    const res = await callApi(opts, '/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    })
    if (res.status !== 201) {
      return { ok: false, reason: describeRejection(res.status, res.body), fieldErrors: fieldErrorsOf(res.body) }
    }
    const item = parseItem(res.body)
    if (!item) return { ok: false, reason: 'the API answered 201 without a valid item', fieldErrors: {} }
    return { ok: true, item }
  } catch (err) {
    return { ok: false, reason: failure(err), fieldErrors: {} }
  }
}
