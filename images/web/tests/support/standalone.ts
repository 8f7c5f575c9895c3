/**
 * The production server as the image runs it: `.next/standalone/server.js` (made by `npm run build`,
 * which `npm run test:standalone` runs first), laid out the way the Dockerfile's runner stage does
 * (static and public beside server.js), started on a free loopback port.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { freePort } from './stub-api'

export const ROOT = path.resolve(__dirname, '../..')
const STANDALONE = path.join(ROOT, '.next', 'standalone')

export interface Standalone {
  url: string
  /** stdout and stderr so far, for failure messages. */
  log(): string
  stop(): Promise<void>
}

/** Copy .next/static and public beside server.js (idempotent: both are replaced). */
function layOut(): void {
  assert.ok(
    existsSync(path.join(STANDALONE, 'server.js')),
    `no ${path.relative(ROOT, STANDALONE)}/server.js: run \`npm run build\` first (npm run test:standalone does)`,
  )
  for (const [from, to] of [
    [path.join(ROOT, '.next', 'static'), path.join(STANDALONE, '.next', 'static')],
    [path.join(ROOT, 'public'), path.join(STANDALONE, 'public')],
  ]) {
    rmSync(to, { recursive: true, force: true })
    cpSync(from, to, { recursive: true })
  }
}

export async function startStandalone(env: Record<string, string>): Promise<Standalone> {
  layOut()
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let output = ''
  const server: ChildProcess = spawn(process.execPath, ['server.js'], {
    cwd: STANDALONE,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(port),
      HOSTNAME: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout?.on('data', (c) => (output += c))
  server.stderr?.on('data', (c) => (output += c))
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && server.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, log: () => output, stop }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  await stop()
  throw new Error(`the standalone server did not answer 200 at /health:\n${output}`)
}
