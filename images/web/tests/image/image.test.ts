/**
 * The built runner image (scripts/test builds it and passes its tag in WEB_TEST_IMAGE): what it
 * carries, and the server it runs read-only as the component runs it. DOCKER names the CLI
 * (default `docker`); WEB_TEST_PREFIX prefixes the container's name (default standard-stack-web-test).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { freePort } from '../support/stub-api'

const IMAGE = process.env.WEB_TEST_IMAGE ?? ''
const DOCKER = process.env.DOCKER || 'docker'
const NAME = `${process.env.WEB_TEST_PREFIX || 'standard-stack-web-test'}-${randomBytes(4).toString('hex')}`

function docker(...args: string[]): string {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, `${DOCKER} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`)
  return r.stdout.trim()
}

/** Run a command in a throwaway container of the image (no network). */
function inImage(...command: string[]): string {
  return docker('run', '--rm', '--network', 'none', '--entrypoint', command[0], IMAGE, ...command.slice(1))
}

/** npm's name for the image's CPU (the @img/sharp-linux-<cpu> packages). */
function npmCpu(): string {
  const arch = docker('image', 'inspect', '--format', '{{.Architecture}}', IMAGE)
  const cpu = { amd64: 'x64', arm64: 'arm64' }[arch]
  assert.ok(cpu, `unexpected image architecture ${arch}`)
  return cpu
}

let url = ''

before(async () => {
  assert.ok(IMAGE, 'WEB_TEST_IMAGE names no image: run images/web/scripts/test, which builds one')
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  docker(
    'run', '--detach', '--name', NAME, '--read-only', '--tmpfs', '/tmp',
    '--tmpfs', '/app/.next/cache:uid=1001,gid=1001', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '-p', `127.0.0.1:${port}:3000`, '-e', 'API_INTERNAL_URL=http://127.0.0.1:9', IMAGE,
  )
})

after(() => {
  spawnSync(DOCKER, ['rm', '--force', NAME], { encoding: 'utf8' })
})

describe('the runner image', () => {
  test('runs as uid/gid 1001, not root', () => {
    assert.equal(docker('image', 'inspect', '--format', '{{.Config.User}}', IMAGE), '1001:1001')
  })

  test('its health check asks the web server\'s own /health', () => {
    const check = docker('image', 'inspect', '--format', '{{json .Config.Healthcheck.Test}}', IMAGE)
    assert.match(check, /127\.0\.0\.1:'\+\(process\.env\.PORT\|\|3000\)\+'\/health'/)
    assert.doesNotMatch(check, /\/api\/health/)
  })

  test("carries sharp's native binaries for its own platform and no other native file", () => {
    const cpu = npmCpu()
    const native = inImage('find', '/app', '-type', 'f', '(', '-name', '*.node', '-o', '-name', '*.so', '-o', '-name', '*.so.*', ')')
      .split('\n')
      .filter(Boolean)
      .sort()
    assert.ok(native.length > 0, 'no native files at all: sharp is missing')
    for (const file of native) {
      assert.match(file, new RegExp(`^/app/node_modules/@img/sharp-(libvips-)?linux-${cpu}/`), `unexpected native file ${file}`)
    }
    assert.ok(native.some((f) => f.startsWith(`/app/node_modules/@img/sharp-linux-${cpu}/`) && f.endsWith('.node')))
    assert.ok(native.some((f) => f.startsWith(`/app/node_modules/@img/sharp-libvips-linux-${cpu}/`) && /libvips/.test(f)))
  })

  test('carries no build-time packages (CSS toolchain, SWC, TypeScript, ESLint)', () => {
    const packages = inImage('find', '/app/node_modules', '-mindepth', '1', '-maxdepth', '2', '-type', 'd')
      .split('\n')
      .map((dir) => dir.replace('/app/node_modules/', ''))
    const unwanted = /^(typescript|tailwindcss|@tailwindcss\/.+|lightningcss(-.+)?|eslint(-.+)?|@next\/swc-.+|playwright-core)$/
    assert.deepEqual(packages.filter((p) => unwanted.test(p)), [])
  })

  test('carries no compilers or build tools', () => {
    assert.equal(inImage('sh', '-c', 'command -v gcc cc g++ make python3 || true'), '')
  })

  test('becomes healthy read-only, with nothing at the API address', async () => {
    const deadline = Date.now() + 90_000
    let status = ''
    while (Date.now() < deadline) {
      status = docker('inspect', '--format', '{{.State.Health.Status}}', NAME)
      if (status === 'healthy' || status === 'unhealthy') break
      await new Promise((r) => setTimeout(r, 1000))
    }
    assert.equal(status, 'healthy', docker('logs', NAME))
  })

  test('serves the page, and /_next/image re-encodes the page image with sharp, smaller than its source', async () => {
    const page = await fetch(`${url}/`)
    assert.equal(page.status, 200)
    const html = await page.text()
    const srcSet = html.match(/<img[^>]*data-testid="stack-image"[^>]*srcSet="([^"]+)"/)?.[1]
    assert.ok(srcSet, 'no stack-image srcset in the page')
    const optimised = srcSet.replace(/&amp;/g, '&').split(',')[0].trim().split(' ')[0]
    const source = await fetch(`${url}/stack.png`)
    assert.equal(source.status, 200)
    const sourceBytes = (await source.arrayBuffer()).byteLength
    const res = await fetch(`${url}${optimised}`, { headers: { accept: 'image/webp,*/*' } })
    assert.equal(res.status, 200, docker('logs', NAME))
    assert.equal(res.headers.get('content-type'), 'image/webp')
    const bytes = (await res.arrayBuffer()).byteLength
    assert.ok(bytes > 0 && bytes < sourceBytes, `optimised ${bytes} B is not smaller than the source ${sourceBytes} B`)
  })
})
