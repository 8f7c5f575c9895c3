/** The API client against a real loopback HTTP server: every way the API can answer, or not. */
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { ITEMS_SHOWN, createItem, fetchItems, fetchReadiness } from '../../src/lib/api'
import {
  ITEMS,
  READY_BODY,
  UNAVAILABLE_BODY,
  freePort,
  hangUp,
  hangUpOnce,
  json,
  manyItems,
  never,
  pagedItems,
  stallAfterHeaders,
  startStubApi,
  type Handler,
  type StubApi,
} from '../support/stub-api'

const stubs: StubApi[] = []
after(async () => Promise.all(stubs.map((s) => s.close())))

async function stub(routes: Record<string, Handler>): Promise<StubApi> {
  const s = await startStubApi(routes)
  stubs.push(s)
  return s
}

async function nothingListening(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`
}

describe('fetchReadiness', () => {
  test('is ready with both dependencies when the API answers 200', async () => {
    const api = await stub({ 'GET /health/ready': json(200, READY_BODY) })
    const readiness = await fetchReadiness({ baseUrl: api.url })
    assert.deepEqual(readiness, {
      state: 'ready',
      database: { ok: true, pool: { size: 5, checked_out: 1 } },
      redis: { ok: true },
    })
  })

  test('is unavailable and carries the failing dependency error when the API answers 503', async () => {
    const api = await stub({ 'GET /health/ready': json(503, UNAVAILABLE_BODY) })
    const readiness = await fetchReadiness({ baseUrl: api.url })
    assert.equal(readiness.state, 'unavailable')
    assert.ok(readiness.state === 'unavailable')
    assert.equal(readiness.redis.ok, false)
    assert.match(readiness.redis.error ?? '', /Connection refused/)
    assert.equal(readiness.database.ok, true)
  })

  test('is unreachable with "connection refused" when nothing listens', async () => {
    const readiness = await fetchReadiness({ baseUrl: await nothingListening() })
    assert.deepEqual(readiness, { state: 'unreachable', reason: 'connection refused' })
  })

  test('is unreachable within the deadline when the API accepts but never answers', async () => {
    const api = await stub({ 'GET /health/ready': never })
    const started = performance.now()
    const readiness = await fetchReadiness({ baseUrl: api.url, timeoutMs: 300 })
    const elapsed = performance.now() - started
    assert.deepEqual(readiness, { state: 'unreachable', reason: 'no answer within 300 ms' })
    assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`)
  })

  test('is unreachable within the deadline when the API stalls after the headers', async () => {
    const api = await stub({ 'GET /health/ready': stallAfterHeaders })
    const started = performance.now()
    const readiness = await fetchReadiness({ baseUrl: api.url, timeoutMs: 300 })
    assert.deepEqual(readiness, { state: 'unreachable', reason: 'no answer within 300 ms' })
    assert.ok(performance.now() - started < 2000)
  })

  test('is an error when the API answers a status other than 200 or 503', async () => {
    const api = await stub({ 'GET /health/ready': json(500, { detail: 'boom' }) })
    assert.deepEqual(await fetchReadiness({ baseUrl: api.url }), {
      state: 'error',
      reason: 'unexpected HTTP 500 from /health/ready',
    })
  })

  test('is an error when the body lacks the dependency status', async () => {
    const api = await stub({ 'GET /health/ready': json(200, { status: 'ready' }) })
    const readiness = await fetchReadiness({ baseUrl: api.url })
    assert.equal(readiness.state, 'error')
  })

  test('is an error when the body is not JSON', async () => {
    const api = await stub({
      'GET /health/ready': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<html>proxy error page</html>')
      },
    })
    assert.deepEqual(await fetchReadiness({ baseUrl: api.url }), {
      state: 'error',
      reason: 'HTTP 200 with a body that is not JSON',
    })
  })

  test('is ready when the API hangs up once and answers the repeated request', async () => {
    const api = await stub({ 'GET /health/ready': hangUpOnce(json(200, READY_BODY)) })
    const readiness = await fetchReadiness({ baseUrl: api.url })
    assert.equal(readiness.state, 'ready')
    assert.equal(api.requests.length, 2)
  })

  test('is unreachable after the second hang-up: a GET is sent at most twice', async () => {
    const api = await stub({ 'GET /health/ready': hangUp })
    const readiness = await fetchReadiness({ baseUrl: api.url })
    assert.deepEqual(readiness, { state: 'unreachable', reason: 'network error (UND_ERR_SOCKET)' })
    assert.equal(api.requests.length, 2)
  })

  test('asks for JSON at {baseUrl}/health/ready', async () => {
    const api = await stub({ 'GET /health/ready': json(200, READY_BODY) })
    await fetchReadiness({ baseUrl: api.url })
    assert.equal(api.requests.length, 1)
    assert.equal(api.requests[0].url, '/health/ready')
    assert.equal(api.requests[0].headers.accept, 'application/json')
  })
})

describe('fetchItems', () => {
  test('returns the listed items newest first, and no more to show', async () => {
    const api = await stub({ 'GET /items': pagedItems(ITEMS) })
    assert.deepEqual(await fetchItems({ baseUrl: api.url }), { ok: true, items: [...ITEMS].reverse(), more: false })
  })

  test('asks once for the newest page: one more than shown, newest first', async () => {
    const api = await stub({ 'GET /items': pagedItems(manyItems(20_000)) })
    await fetchItems({ baseUrl: api.url })
    assert.deepEqual(
      api.requests.map((r) => r.url),
      [`/items?order=desc&limit=${ITEMS_SHOWN + 1}`],
    )
  })

  test('returns the newest `shown` items and says there are more, however many the API holds', async () => {
    const api = await stub({ 'GET /items': pagedItems(manyItems(25_000)) })
    const result = await fetchItems({ baseUrl: api.url }, 7)
    assert.ok(result.ok)
    assert.deepEqual(
      result.items.map((i) => i.id),
      [25_000, 24_999, 24_998, 24_997, 24_996, 24_995, 24_994],
    )
    assert.equal(result.more, true)
  })

  test('says there are no more when the API holds exactly `shown` items', async () => {
    const api = await stub({ 'GET /items': pagedItems(manyItems(7)) })
    const result = await fetchItems({ baseUrl: api.url }, 7)
    assert.ok(result.ok)
    assert.equal(result.items.length, 7)
    assert.equal(result.more, false)
  })

  test('fails with the reason when nothing listens', async () => {
    assert.deepEqual(await fetchItems({ baseUrl: await nothingListening() }), {
      ok: false,
      reason: 'connection refused',
    })
  })

  test('fails within the deadline when the API never answers', async () => {
    const api = await stub({ 'GET /items': never })
    assert.deepEqual(await fetchItems({ baseUrl: api.url, timeoutMs: 300 }), {
      ok: false,
      reason: 'no answer within 300 ms',
    })
  })

  test('fails when the answer is not a list', async () => {
    const api = await stub({ 'GET /items': json(200, { items: ITEMS }) })
    assert.deepEqual(await fetchItems({ baseUrl: api.url }), {
      ok: false,
      reason: 'the item list is not a JSON array',
    })
  })

  test('fails when an entry lacks a name', async () => {
    const api = await stub({ 'GET /items': json(200, [{ id: 3, created_at: '2024-05-01T12:00:00Z' }]) })
    assert.deepEqual(await fetchItems({ baseUrl: api.url }), {
      ok: false,
      reason: 'the item list has malformed entries',
    })
  })

  test('lists the items when the API hangs up once and answers the repeated request', async () => {
    const api = await stub({ 'GET /items': hangUpOnce(pagedItems(ITEMS)) })
    const result = await fetchItems({ baseUrl: api.url })
    assert.ok(result.ok, JSON.stringify(result))
    assert.equal(result.items.length, 2)
    assert.equal(api.requests.length, 2)
  })

  test('fails with the API detail on an error status', async () => {
    const api = await stub({ 'GET /items': json(500, { detail: 'database is down' }) })
    assert.deepEqual(await fetchItems({ baseUrl: api.url }), { ok: false, reason: 'HTTP 500: database is down' })
  })
})

describe('createItem', () => {
  test('posts name and description as JSON and returns the item created (201)', async () => {
    const created = { id: 7, name: 'new', description: 'desc', created_at: '2024-05-03T12:00:00Z' }
    const api = await stub({ 'POST /items': json(201, created) })
    const result = await createItem({ baseUrl: api.url }, { name: 'new', description: 'desc' })
    assert.deepEqual(result, { ok: true, item: created })
    assert.equal(api.requests[0].headers['content-type'], 'application/json')
    assert.deepEqual(JSON.parse(api.requests[0].body), { name: 'new', description: 'desc' })
  })

  test("reports the API's validation messages when it refuses (422)", async () => {
    const api = await stub({
      'POST /items': json(422, { detail: [{ loc: ['body', 'name'], msg: 'String should have at least 1 character' }] }),
    })
    assert.deepEqual(await createItem({ baseUrl: api.url }, { name: 'x', description: null }), {
      ok: false,
      reason: 'HTTP 422: String should have at least 1 character',
      fieldErrors: { name: 'String should have at least 1 character' },
    })
  })

  test('keeps 422 messages that name no form field out of the field errors', async () => {
    const api = await stub({
      'POST /items': json(422, { detail: [{ loc: ['body'], msg: 'Extra inputs are not permitted' }] }),
    })
    assert.deepEqual(await createItem({ baseUrl: api.url }, { name: 'x', description: null }), {
      ok: false,
      reason: 'HTTP 422: Extra inputs are not permitted',
      fieldErrors: {},
    })
  })

  test('never posts twice: a hang-up fails the creation with its reason', async () => {
    const created = { id: 7, name: 'new', description: null, created_at: '2024-05-03T12:00:00Z' }
    const api = await stub({ 'POST /items': hangUpOnce(json(201, created)) })
    assert.deepEqual(await createItem({ baseUrl: api.url }, { name: 'new', description: null }), {
      ok: false,
      reason: 'network error (UND_ERR_SOCKET)',
      fieldErrors: {},
    })
    assert.equal(api.requests.length, 1)
  })

  test('fails with the reason when nothing listens', async () => {
    assert.deepEqual(await createItem({ baseUrl: await nothingListening() }, { name: 'x', description: null }), {
      ok: false,
      reason: 'connection refused',
      fieldErrors: {},
    })
  })
})
