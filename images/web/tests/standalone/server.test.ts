/**
 * The production build as the image runs it: `next build`, then the standalone server.js on a free
 * loopback port, first with nothing at the API address, then with a stub API answering there.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ITEMS, READY_BODY, UNAVAILABLE_BODY, freePort, json, startStubApi, type StubApi } from '../support/stub-api'

const ROOT = path.resolve(__dirname, '../..')
const STANDALONE = path.join(ROOT, '.next', 'standalone')

let server: ChildProcess
let serverLog = ''
let webUrl = ''
let apiPort = 0
let stub: StubApi | undefined

/** Lay out the build the way the Dockerfile's runner stage does: static and public beside server.js. */
function buildStandalone(): void {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'next'), ['build'], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
    timeout: 10 * 60_000,
  })
  assert.equal(result.status, 0, `next build failed:\n${result.stdout}\n${result.stderr}`)
  rmSync(path.join(STANDALONE, '.next', 'static'), { recursive: true, force: true })
  cpSync(path.join(ROOT, '.next', 'static'), path.join(STANDALONE, '.next', 'static'), { recursive: true })
  cpSync(path.join(ROOT, 'public'), path.join(STANDALONE, 'public'), { recursive: true })
  assert.ok(existsSync(path.join(STANDALONE, 'server.js')), 'the build made no standalone server.js')
}

async function waitForHealth(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break
    try {
      const res = await fetch(`${webUrl}/api/health`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`standalone server did not become healthy:\n${serverLog}`)
}

async function getHome(): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(`${webUrl}/`)
  return { status: res.status, html: await res.text(), headers: res.headers }
}

/** The attributes of the element carrying data-testid=`id`. */
function element(html: string, id: string): string {
  const match = html.match(new RegExp(`<[a-z]+[^>]*data-testid="${id}"[^>]*>`))
  assert.ok(match, `no data-testid="${id}" in the page`)
  return match[0]
}

/** The hidden fields React renders into a server-action form, so it can be posted without JavaScript. */
function hiddenFields(html: string): Array<[string, string]> {
  const unescape = (v: string) =>
    v.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
  return [...html.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g)].map((m) => [
    unescape(m[1]),
    unescape(m[2] ?? ''),
  ])
}

before(async () => {
  buildStandalone()
  apiPort = await freePort()
  const webPort = await freePort()
  webUrl = `http://127.0.0.1:${webPort}`
  server = spawn(process.execPath, ['server.js'], {
    cwd: STANDALONE,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(webPort),
      HOSTNAME: '127.0.0.1',
      API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
      PUBLIC_URL: 'https://stack.example.test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout?.on('data', (c) => (serverLog += c))
  server.stderr?.on('data', (c) => (serverLog += c))
  await waitForHealth(30_000)
})

after(async () => {
  server?.kill('SIGTERM')
  await stub?.close()
})

describe('standalone server', () => {
  test('GET /api/health answers 200 {"status":"ok"}', async () => {
    const res = await fetch(`${webUrl}/api/health`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { status: 'ok' })
  })

  test('the home page is a 200 page with an "API unreachable" panel while nothing listens at the API address', async () => {
    const { status, html } = await getHome()
    assert.equal(status, 200)
    assert.match(element(html, 'api-status'), /data-state="unreachable"/)
    assert.match(html, /API unreachable/)
    assert.match(html, /connection refused/)
    assert.match(element(html, 'items'), /data-state="unavailable"/)
  })

  test('the home page shows readiness and the items once the API answers', async () => {
    stub = await startStubApi(
      { 'GET /health/ready': json(200, READY_BODY), 'GET /items': json(200, ITEMS) },
      apiPort,
    )
    const { status, html } = await getHome()
    assert.equal(status, 200)
    assert.match(element(html, 'api-status'), /data-state="ready"/)
    assert.match(element(html, 'dependency-database'), /data-ok="true"/)
    assert.match(element(html, 'dependency-redis'), /data-ok="true"/)
    assert.match(element(html, 'items'), /data-count="2"/)
    assert.match(html, /first item/)
    assert.match(html, /second item/)
  })

  test('each page view asks the API again rather than serving a cached answer', async () => {
    assert.ok(stub)
    stub.route('GET /health/ready', json(503, UNAVAILABLE_BODY))
    const { status, html } = await getHome()
    assert.equal(status, 200)
    assert.match(element(html, 'api-status'), /data-state="unavailable"/)
    assert.match(element(html, 'dependency-redis'), /data-ok="false"/)
  })

  test('the add-item form, posted without JavaScript, creates the item through POST /items', async () => {
    assert.ok(stub)
    const created = { id: 3, name: 'posted item', description: 'via the form', created_at: '2024-05-04T12:00:00Z' }
    stub.route('POST /items', json(201, created))
    const form = new FormData()
    for (const [name, value] of hiddenFields((await getHome()).html)) form.append(name, value)
    form.append('name', 'posted item')
    form.append('description', 'via the form')
    const res = await fetch(`${webUrl}/`, { method: 'POST', body: form, headers: { origin: webUrl } })
    const html = await res.text()
    assert.equal(res.status, 200)
    const post = stub.requests.find((r) => r.method === 'POST' && r.url === '/items')
    assert.ok(post, 'the API got no POST /items')
    assert.deepEqual(JSON.parse(post.body), { name: 'posted item', description: 'via the form' })
    assert.match(html, /Added “posted item”/)
  })

  test('the page links absolute URLs built from PUBLIC_URL', async () => {
    const { html } = await getHome()
    assert.match(html, /href="https:\/\/stack\.example\.test\/api\/health"/)
  })

  test('responses carry the security headers and no X-Powered-By', async () => {
    const { headers } = await getHome()
    assert.equal(headers.get('x-content-type-options'), 'nosniff')
    assert.equal(headers.get('x-frame-options'), 'DENY')
    assert.ok(headers.get('referrer-policy'))
    assert.ok(headers.get('permissions-policy'))
    assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/)
    assert.equal(headers.get('x-powered-by'), null)
  })

  test('the static assets the page references are served', async () => {
    const { html } = await getHome()
    const assets = [...html.matchAll(/\/_next\/static\/[^"'\s]+\.(?:js|css)/g)].map((m) => m[0])
    assert.ok(assets.length > 0, 'the page references no /_next/static assets')
    for (const asset of new Set(assets)) {
      const res = await fetch(`${webUrl}${asset}`)
      assert.equal(res.status, 200, asset)
      await res.arrayBuffer()
    }
  })
})
