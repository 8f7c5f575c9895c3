/**
 * The page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no browser
 * download), against the standalone server and a stub API, at a desktop and a phone width.
 * CHROMIUM_PATH overrides the browser binary.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { READY_BODY, json, pagedItems, startStubApi, type StubApi } from '../support/stub-api'
import { startStandalone, type Standalone } from '../support/standalone'

const WIDTHS = { desktop: 1280, mobile: 390 } as const
/** A name as long as the API allows (200), without a single place to break a line. */
const LONG_NAME = 'x'.repeat(200)
const ITEMS = [
  { id: 1, name: LONG_NAME, description: 'y'.repeat(600), created_at: '2024-05-01T12:00:00Z' },
  { id: 2, name: 'a short one', description: null, created_at: '2024-05-02T12:00:00Z' },
]

let stub: StubApi
let web: Standalone
let browser: Browser

before(async () => {
  stub = await startStubApi({ 'GET /health/ready': json(200, READY_BODY), 'GET /items': pagedItems(ITEMS) })
  web = await startStandalone({ API_INTERNAL_URL: stub.url, PUBLIC_URL: 'https://a-rather-long-host-name.example.test' })
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' })
})

after(async () => {
  await browser?.close()
  await web?.stop()
  await stub?.close()
})

/** Open the home page at `width`; returns the page and the console errors seen while loading it. */
async function open(width: number, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme })
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`)
  })
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`))
  const res = await page.goto(web.url, { waitUntil: 'load' })
  assert.equal(res?.status(), 200)
  // the stack image is lazy-free (priority) and must have decoded
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('[data-testid="stack-image"]')
    return img !== null && img.complete && img.naturalWidth > 0
  })
  await page.waitForLoadState('networkidle')
  return { page, errors }
}

/** WCAG 2 A/AA violations axe-core finds in the page (labels, contrast, names, landmarks ...). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') })
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: object): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown }> }> }> } }).axe
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } })
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`)
  })
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
}

for (const [label, width] of Object.entries(WIDTHS)) {
  describe(`the home page at ${width} px (${label})`, () => {
    test('loads with no console errors, failed requests or page errors', async () => {
      const { page, errors } = await open(width)
      await page.close()
      assert.deepEqual(errors, [])
    })

    test('does not scroll sideways, even with a 200-character name without spaces', async () => {
      const { page } = await open(width)
      const overflow = await horizontalOverflow(page)
      const nameWidth = await page.getByText(LONG_NAME, { exact: true }).evaluate((e) => e.getBoundingClientRect().right)
      await page.close()
      assert.equal(overflow, 0, `the page is ${overflow} px wider than the ${width} px viewport`)
      assert.ok(nameWidth <= width, `the long name ends at ${nameWidth} px, past the ${width} px viewport`)
    })

    for (const scheme of ['light', 'dark'] as const) {
      test(`has no WCAG 2 AA violations axe-core can find, in the ${scheme} colour scheme`, async () => {
        const { page } = await open(width, scheme)
        const violations = await axeViolations(page)
        await page.close()
        assert.deepEqual(violations, [])
      })
    }

    test('shows the stack image optimised by /_next/image', async () => {
      const { page } = await open(width)
      const src = await page.getByTestId('stack-image').evaluate((img) => (img as HTMLImageElement).currentSrc)
      await page.close()
      assert.match(src, /\/_next\/image\?url=%2F.+\.png&w=\d+&q=\d+/)
    })
  })
}

describe('the add-item form in the browser', () => {
  test('a submit the API rejects (422) keeps what was typed and shows the error next to the name field', async () => {
    stub.route(
      'POST /items',
      json(422, { detail: [{ loc: ['body', 'name'], msg: 'Value error, name is taken' }] }),
    )
    const { page } = await open(WIDTHS.mobile)
    await page.getByLabel('Name').fill('my typed name')
    await page.getByLabel('Description').fill('my typed description')
    await page.getByRole('button', { name: 'Add item' }).click()
    const error = page.getByTestId('name-error')
    await error.waitFor({ timeout: 10_000 })
    const errorText = await error.textContent()
    const name = await page.getByLabel('Name').inputValue()
    const description = await page.getByLabel('Description').inputValue()
    const describedBy = await page.getByLabel('Name').getAttribute('aria-describedby')
    const errorId = await error.getAttribute('id')
    await page.close()
    assert.match(errorText ?? '', /name is taken/)
    assert.equal(name, 'my typed name')
    assert.equal(description, 'my typed description')
    assert.ok(errorId && describedBy?.split(' ').includes(errorId), 'the name field is not described by its error')
  })

  test('the name field shows a visible focus ring when reached with the keyboard', async () => {
    const { page } = await open(WIDTHS.desktop)
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab')
      if (await page.getByLabel('Name').evaluate((e) => e === document.activeElement)) break
    }
    const focused = await page.getByLabel('Name').evaluate((e) => e === document.activeElement)
    const outline = await page.getByLabel('Name').evaluate((e) => {
      const s = getComputedStyle(e)
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }
    })
    await page.close()
    assert.ok(focused, 'Tab never reached the name field')
    assert.ok(outline.style !== 'none' && outline.width >= 2, `focus outline is ${JSON.stringify(outline)}`)
  })
})
