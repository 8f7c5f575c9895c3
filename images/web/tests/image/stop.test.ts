/**
 * `docker stop` of the built runner image (scripts/test passes its tag in WEB_TEST_IMAGE), run as the
 * component runs it: with Docker's init (`--init`), read-only, as uid 1001. A page request is put in
 * flight first: the page asks the API for its readiness and items, and the API here is a container
 * that accepts requests and never answers, so the page takes its 3 s API deadline to render (the
 * "API unreachable" panel). The stop is sent once that API has seen the page's call, so the request
 * is inside Next.js when SIGTERM arrives. DOCKER names the CLI; WEB_TEST_PREFIX prefixes every name.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { freePort } from '../support/stub-api'

const IMAGE = process.env.WEB_TEST_IMAGE ?? ''
const DOCKER = process.env.DOCKER || 'docker'
const PREFIX = `${process.env.WEB_TEST_PREFIX || 'standard-stack-web-test'}-stop-${randomBytes(4).toString('hex')}`
const NETWORK = PREFIX
const containers: string[] = []

function docker(...args: string[]): string {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, `${DOCKER} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`)
  return r.stdout.trim()
}

/** Like docker(), without blocking the event loop (the test reads a response meanwhile). */
function dockerAsync(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${DOCKER} ${args.join(' ')}: ${out}`))))
  })
}

function logs(name: string): string {
  const r = spawnSync(DOCKER, ['logs', name], { encoding: 'utf8' })
  return `${r.stdout}${r.stderr}`
}

function exitCode(name: string): number {
  return Number(docker('inspect', '--format', '{{.State.ExitCode}}', name))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The status of GET /health, 0 when nothing answers. node:http rather than fetch: a fetch pending
 * through Docker's port proxy to a container not listening yet was seen to leave Node's event loop
 * empty (Node 20), and the test runner then cancels the hook as never settling.
 */
function healthStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { timeout: 2000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
  })
}

/** An API that accepts every request, prints its path, and never answers (a hung upstream). */
function startHungApi(name: string): void {
  const script =
    "require('http').createServer((req) => console.log('request ' + req.url)).listen(8000, '0.0.0.0', () => console.log('listening'))"
  containers.push(name)
  docker('run', '--detach', '--name', name, '--network', NETWORK, '--entrypoint', 'node', IMAGE, '-e', script)
}

interface Web {
  name: string
  api: string
  url: string
}

/** The web image beside a hung API, as the component runs it; resolves once /health answers 200. */
async function startWeb(label: string, env: Record<string, string> = {}, command: string[] = []): Promise<Web> {
  const name = `${PREFIX}-${label}`
  const api = `${name}-api`
  startHungApi(api)
  const port = await freePort()
  containers.push(name)
  docker(
    'run', '--detach', '--init', '--name', name, '--network', NETWORK, '--read-only', '--tmpfs', '/tmp',
    '--tmpfs', '/app/.next/cache:uid=1001,gid=1001', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '-p', `127.0.0.1:${port}:3000`, '-e', `API_INTERNAL_URL=http://${api}:8000`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    IMAGE, ...command,
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if ((await healthStatus(url)) === 200) return { name, api, url }
    await sleep(250)
  }
  assert.fail(`${name} did not answer 200 at /health:\n${logs(name)}`)
}

interface Outcome {
  status?: number
  connection?: string
  body?: string
  error?: string
}

/**
 * GET / over a keep-alive connection; resolves once the hung API has seen the page's call (the
 * request is then inside Next.js), with the outcome of the request still to come (wrapped: an async
 * function returning a promise would wait for it).
 */
async function pageRequestInFlight(web: Web): Promise<{ outcome: Promise<Outcome> }> {
  const agent = new http.Agent({ keepAlive: true })
  const outcome = new Promise<Outcome>((resolve) => {
    const req = http.get(`${web.url}/`, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }))
      res.on('error', (e) => resolve({ status: res.statusCode, error: e.message, body }))
    })
    req.on('error', (e) => resolve({ error: e.message }))
  })
  outcome.finally(() => agent.destroy())
  const deadline = Date.now() + 30_000
  while (!/^request \//m.test(logs(web.api))) {
    assert.ok(Date.now() < deadline, `the page never called the API:\n${logs(web.name)}`)
    await sleep(100)
  }
  return { outcome }
}

before(() => {
  assert.ok(IMAGE, 'WEB_TEST_IMAGE names no image: run images/web/scripts/test, which builds one')
  docker('network', 'create', NETWORK)
})

after(() => {
  for (const name of containers) spawnSync(DOCKER, ['rm', '--force', name], { encoding: 'utf8' })
  spawnSync(DOCKER, ['network', 'rm', NETWORK], { encoding: 'utf8' })
})

describe('docker stop during a page request', () => {
  let web: Web
  let outcome: Outcome

  before(async () => {
    web = await startWeb('drain')
    const { outcome: pending } = await pageRequestInFlight(web)
    await dockerAsync('stop', '--time', '20', web.name)
    outcome = await pending
  })

  test('lets the request finish with the whole page', () => {
    assert.equal(outcome.error, undefined, `the request failed: ${outcome.error}\n${logs(web.name)}`)
    assert.equal(outcome.status, 200)
    assert.match(outcome.body ?? '', /data-testid="api-status"[^>]*data-state="unreachable"/)
    assert.match(outcome.body ?? '', /<\/html>$/)
  })

  test('answers it with Connection: close, so its keep-alive connection does not hold the stop', () => {
    assert.equal(outcome.connection, 'close')
  })

  test('ends with exit code 0, not 143 (SIGTERM) or 137 (SIGKILL)', () => {
    assert.equal(exitCode(web.name), 0, logs(web.name))
  })

  test('logs that every request in flight finished', () => {
    const log = logs(web.name)
    assert.match(log, /web: SIGTERM: no new connections; finishing 1 request\(s\) in flight \(at most 10 s/)
    assert.match(log, /web: stopped on SIGTERM: every request in flight finished/)
  })
})

describe('docker stop with a request still running after WEB_GRACEFUL_SHUTDOWN_SECONDS', () => {
  let web: Web
  let outcome: Outcome

  before(async () => {
    web = await startWeb('bound', { WEB_GRACEFUL_SHUTDOWN_SECONDS: '1' })
    const { outcome: pending } = await pageRequestInFlight(web)
    await dockerAsync('stop', '--time', '20', web.name)
    outcome = await pending
  })

  test('closes the connection of that request (the page takes 3 s, the bound is 1 s)', () => {
    assert.equal(outcome.status, undefined, `the request got an answer: ${outcome.status}`)
    assert.match(outcome.error ?? '', /socket hang up|ECONNRESET/)
  })

  test('still ends with exit code 0, before Docker would send SIGKILL', () => {
    assert.equal(exitCode(web.name), 0, logs(web.name))
  })

  test('logs the request it cut off', () => {
    const log = logs(web.name)
    assert.match(log, /WEB_GRACEFUL_SHUTDOWN_SECONDS=1 passed with 1 request\(s\) still running/)
    assert.match(log, /stopped on SIGTERM: 1 request\(s\) cut off after 1 s/)
  })
})

describe('controls: what the assertions above catch', () => {
  test('docker kill -s KILL during a page request fails the request and exits 137', async () => {
    const web = await startWeb('kill')
    const { outcome: pending } = await pageRequestInFlight(web)
    await dockerAsync('kill', '--signal', 'KILL', web.name)
    const outcome = await pending
    assert.equal(outcome.status, undefined)
    assert.ok(outcome.error, 'the request did not fail')
    await dockerAsync('wait', web.name)
    assert.equal(exitCode(web.name), 137)
  })

  test("Next.js's server.js run directly exits 143 on docker stop and keeps the connection alive (why start.mjs exists)", async () => {
    const web = await startWeb('bare', {}, ['node', 'server.js'])
    const { outcome: pending } = await pageRequestInFlight(web)
    await dockerAsync('stop', '--time', '20', web.name)
    const outcome = await pending
    assert.equal(outcome.status, 200)
    assert.equal(outcome.connection, 'keep-alive')
    assert.equal(exitCode(web.name), 143, logs(web.name))
  })
})

describe('WEB_GRACEFUL_SHUTDOWN_SECONDS', () => {
  test('a value that is not a whole number of seconds stops the container at start, naming the setting', () => {
    const name = `${PREFIX}-bad`
    containers.push(name)
    const r = spawnSync(DOCKER, ['run', '--name', name, '-e', 'WEB_GRACEFUL_SHUTDOWN_SECONDS=ten', IMAGE], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`)
    assert.match(
      r.stderr,
      /WEB_GRACEFUL_SHUTDOWN_SECONDS="ten" is not valid: give a whole number of seconds from 0 to 600 \(default 10\)/,
    )
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /Ready in|at .+\.m?js:\d+/)
  })
})
