/**
 * The production build as the image runs it: the standalone server.js on a free loopback port, first
 * with nothing at the API address, then with a stub API answering there.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ITEMS,
  READY_BODY,
  UNAVAILABLE_BODY,
  freePort,
  json,
  manyItems,
  pagedItems,
  startStubApi,
  type StubApi,
} from '../support/stub-api'
import { startStandalone, type Standalone } from '../support/standalone'

let web: Standalone
let apiPort = 0
let stub: StubApi | undefined

async function getHome(): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(`${web.url}/`)
  return { status: res.status, html: await res.text(), headers: res.headers }
}

/** The attributes of the element carrying data-testid=`id`. */
function element(html: string, id: string): string {
  const match = html.match(new RegExp(`<[a-z]+[^>]*data-testid="${id}"[^>]*>`))
  assert.ok(match, `no data-testid="${id}" in the page`)
  return match[0]
}

/** The text inside the element carrying data-testid=`id` (tags stripped). */
function textOf(html: string, id: string): string {
  const match = html.match(new RegExp(`<([a-z]+)[^>]*data-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`))
  assert.ok(match, `no data-testid="${id}" element in the page`)
  return match[2].replace(/<!-- -->/g, '').replace(/<[^>]+>/g, '')
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

/** Post the add-item form the way a browser without JavaScript does; returns the page it answers. */
async function postForm(fields: Record<string, string>): Promise<{ status: number; html: string }> {
  const form = new FormData()
  for (const [name, value] of hiddenFields((await getHome()).html)) form.append(name, value)
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  const res = await fetch(`${web.url}/`, { method: 'POST', body: form, headers: { origin: web.url } })
  return { status: res.status, html: await res.text() }
}

before(async () => {
  apiPort = await freePort()
  web = await startStandalone({
    API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
    PUBLIC_URL: 'https://stack.example.test',
  })
})

after(async () => {
  await web?.stop()
  await stub?.close()
})

describe('standalone server', () => {
  test('GET /health (the container health check) answers 200 {"status":"ok"}', async () => {
    const res = await fetch(`${web.url}/health`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { status: 'ok' })
  })

  test('GET /api/health is not the web app\'s: /api/* belongs to the API behind the proxy', async () => {
    const res = await fetch(`${web.url}/api/health`)
    assert.equal(res.status, 404)
    await res.arrayBuffer()
  })

  test('the home page is a 200 page with an "API unreachable" panel while nothing listens at the API address', async () => {
    const { status, html } = await getHome()
    assert.equal(status, 200)
    assert.match(element(html, 'api-status'), /data-state="unreachable"/)
    assert.match(html, /API unreachable/)
    assert.match(html, /connection refused/)
    assert.match(element(html, 'items'), /data-state="unavailable"/)
  })

  test('the page never shows the internal address of the API; the server log names it', async () => {
    const { html } = await getHome()
    assert.match(element(html, 'api-status'), /data-state="unreachable"/)
    assert.doesNotMatch(html, new RegExp(`127\\.0\\.0\\.1:${apiPort}`))
    assert.match(web.log(), new RegExp(`API readiness from http://127\\.0\\.0\\.1:${apiPort}: connection refused`))
  })

  test('the home page shows readiness and the items, newest first, once the API answers', async () => {
    stub = await startStubApi(
      { 'GET /health/ready': json(200, READY_BODY), 'GET /items': pagedItems(ITEMS) },
      apiPort,
    )
    const { status, html } = await getHome()
    assert.equal(status, 200)
    assert.match(element(html, 'api-status'), /data-state="ready"/)
    assert.match(element(html, 'dependency-database'), /data-ok="true"/)
    assert.match(element(html, 'dependency-redis'), /data-ok="true"/)
    assert.match(element(html, 'items'), /data-count="2"/)
    assert.ok(html.indexOf('second item') < html.indexOf('first item'), 'the newest item is not listed first')
  })

  test('item timestamps read as dates for people, with the ISO form kept in the time element', async () => {
    const { html } = await getHome()
    const item = textOf(html, 'item')
    assert.match(item, /2 May 2024, 12:00 UTC/)
    assert.doesNotMatch(item, /2024-05-02T12:00:00Z/)
    assert.match(html, /<time[^>]*dateTime="2024-05-02T12:00:00Z"/i)
  })

  test('with more than 10,000 items the newest 100 are listed, newest first, from one API call', async () => {
    assert.ok(stub)
    stub.route('GET /items', pagedItems(manyItems(10_050)))
    const before = stub.requests.length
    const { html } = await getHome()
    const listCalls = stub.requests.slice(before).filter((r) => r.url.startsWith('/items'))
    assert.deepEqual(
      listCalls.map((r) => r.url),
      ['/items?order=desc&limit=101'],
    )
    assert.match(element(html, 'items'), /data-count="100"/)
    assert.match(element(html, 'items'), /data-more="true"/)
    assert.match(textOf(html, 'item'), /item number 10050/)
    assert.doesNotMatch(html, /item number 9950\b/)
    assert.match(html.replace(/<!-- -->/g, ''), /Showing the 100 newest items\./)
    stub.route('GET /items', pagedItems(ITEMS))
  })

  test('an item added while more than 100 exist is listed first on the next page view', async () => {
    assert.ok(stub)
    const items: Array<{ id: number } & Record<string, unknown>> = manyItems(150)
    stub.route('GET /items', pagedItems(items))
    stub.route('POST /items', (req, res, body) => {
      const item = { id: items.length + 1, name: JSON.parse(body).name, description: null, created_at: '2024-06-01T00:00:00Z' }
      items.push(item)
      json(201, item)(req, res, body)
    })
    const { status } = await postForm({ name: 'the newest item', description: '' })
    assert.equal(status, 200)
    const { html } = await getHome()
    assert.match(textOf(html, 'item'), /the newest item/)
    assert.match(element(html, 'items'), /data-count="100"/)
    stub.route('GET /items', pagedItems(ITEMS))
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
    const { status, html } = await postForm({ name: 'posted item', description: 'via the form' })
    assert.equal(status, 200)
    const post = stub.requests.findLast((r) => r.method === 'POST' && r.url === '/items')
    assert.ok(post, 'the API got no POST /items')
    assert.deepEqual(JSON.parse(post.body), { name: 'posted item', description: 'via the form' })
    assert.match(html, /Added “posted item”/)
  })

  test('a submit the API rejects (422) answers the form with what was typed and the error at the field', async () => {
    assert.ok(stub)
    stub.route(
      'POST /items',
      json(422, { detail: [{ loc: ['body', 'name'], msg: 'String should have at most 200 characters' }] }),
    )
    const { status, html } = await postForm({ name: 'kept name', description: 'kept description' })
    assert.equal(status, 200)
    assert.match(element(html, 'name-input'), /value="kept name"/)
    assert.match(html, /<textarea[^>]*data-testid="description-input"[^>]*>\s*kept description<\/textarea>/)
    assert.match(textOf(html, 'name-error'), /at most 200 characters/)
    assert.match(element(html, 'name-input'), /aria-invalid="true"/)
  })

  test('the page links the web health check at PUBLIC_URL/health', async () => {
    const { html } = await getHome()
    assert.match(html, /href="https:\/\/stack\.example\.test\/health"/)
  })

  test('GET /favicon.ico answers an icon', async () => {
    const res = await fetch(`${web.url}/favicon.ico`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'image/x-icon')
    const body = Buffer.from(await res.arrayBuffer())
    // ICONDIR: reserved 0, type 1 (icon), at least one image
    assert.ok(body.length > 22 && body.readUInt16LE(0) === 0 && body.readUInt16LE(2) === 1 && body.readUInt16LE(4) >= 1)
  })

  test('responses carry the security headers and no X-Powered-By', async () => {
    const { headers } = await getHome()
    assert.equal(headers.get('x-content-type-options'), 'nosniff')
    assert.equal(headers.get('x-frame-options'), 'DENY')
    assert.ok(headers.get('referrer-policy'))
    assert.match(headers.get('permissions-policy') ?? '', /camera=\(\)/)
    assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/)
    assert.equal(headers.get('x-powered-by'), null)
  })

  test('the static assets the page references are served', async () => {
    const { html } = await getHome()
    const assets = [...html.matchAll(/\/_next\/static\/[^"'\s]+\.(?:js|css)/g)].map((m) => m[0])
    assert.ok(assets.length > 0, 'the page references no /_next/static assets')
    for (const asset of new Set(assets)) {
      const res = await fetch(`${web.url}${asset}`)
      assert.equal(res.status, 200, asset)
      await res.arrayBuffer()
    }
  })

  test('the page links a stylesheet with the Tailwind utilities its markup uses', async () => {
    const { html } = await getHome()
    const sheets = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+\.css)"/g)].map((m) => m[1])
    assert.ok(sheets.length > 0, 'the page links no stylesheet')
    let css = ''
    for (const href of sheets) {
      const res = await fetch(new URL(href, web.url))
      assert.equal(res.status, 200, href)
      assert.match(res.headers.get('content-type') ?? '', /text\/css/)
      css += await res.text()
    }
    // Tailwind v4 output: its preflight layer and its --tw-* custom properties
    assert.match(css, /@layer base\b/, 'no Tailwind base layer in the stylesheets')
    assert.match(css, /--tw-[a-z-]+:/, 'no Tailwind --tw-* properties in the stylesheets')
    const used = new Set(
      [...html.matchAll(/class="([^"]+)"/g)].flatMap((m) => m[1].split(/\s+/)).filter((c) => /^[a-z0-9-]+$/.test(c)),
    )
    assert.ok(used.size >= 10, `the page uses only ${used.size} plain utility classes`)
    for (const cls of used) assert.ok(css.includes(`.${cls}`), `the stylesheet has no rule for .${cls}`)
  })

  test('/_next/image serves the page image resized and re-encoded, smaller than the source', async () => {
    const { html } = await getHome()
    // the smallest candidate of the image's srcset
    const srcSet = html.match(/<img[^>]*data-testid="stack-image"[^>]*srcSet="([^"]+)"/)?.[1]
    assert.ok(srcSet, 'no stack-image <img srcset> in the page')
    const optimised = srcSet.replace(/&amp;/g, '&').split(',')[0].trim().split(' ')[0]
    assert.match(optimised, /^\/_next\/image\?url=%2F[^&]+\.png&w=\d+&q=\d+$/)
    const original = await fetch(new URL(decodeURIComponent(optimised.match(/url=([^&]+)/)![1]), web.url))
    assert.equal(original.status, 200)
    const originalBytes = (await original.arrayBuffer()).byteLength
    const res = await fetch(new URL(optimised, web.url), { headers: { accept: 'image/avif,image/webp,*/*' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'image/webp')
    const bytes = (await res.arrayBuffer()).byteLength
    assert.ok(bytes > 0 && bytes < originalBytes, `optimised ${bytes} B is not smaller than the source ${originalBytes} B`)
  })
})
