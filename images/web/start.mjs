#!/usr/bin/env node
/**
 * The runner image's entry point: Next.js's standalone server.js with a clean `docker stop`.
 *
 * Next.js already drains on SIGTERM/SIGINT (packages/next/src/server/lib/start-server.ts, startServer,
 * its `cleanup`): server.close() stops accepting connections and waits for the ones open, then
 * nextServer.close() waits for work scheduled with after()/waitUntil (NextNodeServer.close runs its
 * cleanup listeners). It then ends with process.exit(143) (130 for SIGINT), "so that Node.js treats
 * this as a signal termination": Docker reports a drained stop as exit code 143. Three gaps remain,
 * and this file fills them without replacing Next's handler:
 *   1. the exit code: after a stop signal, Next's 128+signal becomes 0 (a drained stop is a success);
 *   2. keep-alive: Node's server.close() closes only idle connections (lib/_http_server.js,
 *      Server.prototype.close -> httpServerPreClose -> closeIdleConnections). A connection whose request
 *      is still running stays open after its response, for keepAliveTimeout (5 s), holding the drain.
 *      Once stopping, every response says `Connection: close` (Node then ends the socket after it:
 *      resOnFinish, res._last), and connections that go idle are closed at once;
 *   3. a bound: requests still running WEB_GRACEFUL_SHUTDOWN_SECONDS (default 10) after the signal
 *      have their connections closed, so the stop ends well inside Docker's grace period instead of
 *      ending in SIGKILL. Keep `docker stop -t` (the component's stop_grace_seconds, 20) above it.
 * Requests are seen through Node's built-in diagnostics channels (http.server.request.start, which
 * carries the request, response, socket and server), not by patching Next.js.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { constants } from 'node:os'

const SETTING = 'WEB_GRACEFUL_SHUTDOWN_SECONDS'
const MAX_GRACE_SECONDS = 600
/** After the bound, how long Next's own cleanup may take before this gives up (exit 1). */
const CLEANUP_SECONDS = 5

function log(message) {
  console.log(`web: ${message}`)
}

function graceSeconds() {
  const raw = process.env[SETTING]
  if (raw === undefined || raw.trim() === '') return 10
  const value = raw.trim()
  if (!/^\d+$/.test(value) || Number(value) > MAX_GRACE_SECONDS) {
    console.error(
      `web: ${SETTING}=${JSON.stringify(raw)} is not valid: give a whole number of seconds from 0 to ` +
        `${MAX_GRACE_SECONDS} (default 10), how long requests in flight may run on after a stop signal`,
    )
    process.exit(1)
  }
  return Number(value)
}

const grace = graceSeconds()

/** Requests whose responses have not closed yet: response -> { socket, server }. */
const inFlight = new Map()
/** Every HTTP server that has served a request (Next's one). */
const servers = new Set()
let stopSignal = null
/** Connections closed at the bound (requests that did not finish in time). */
let cut = 0

diagnosticsChannel.subscribe('http.server.request.start', ({ response, socket, server }) => {
  servers.add(server)
  inFlight.set(response, { socket, server })
  if (stopSignal) response.setHeader('Connection', 'close')
  response.once('close', () => {
    inFlight.delete(response)
    // A response whose headers went out before the signal promised keep-alive: close the connection
    // now that it is idle rather than when keepAliveTimeout ends (closeIdleConnections skips sockets
    // whose response is still unfinished).
    if (stopSignal) server.closeIdleConnections()
  })
})

// Next's handler ends the process with 128 + the signal's number once it has drained. Only that exit,
// after a signal this file saw, becomes 0; every other exit keeps its code.
const exit = process.exit.bind(process)
process.exit = (code) => {
  if (stopSignal !== null && Number(code) === 128 + constants.signals[stopSignal]) {
    log(
      cut === 0
        ? `stopped on ${stopSignal}: every request in flight finished`
        : `stopped on ${stopSignal}: ${cut} request(s) cut off after ${grace} s`,
    )
    return exit(0)
  }
  return exit(code)
}

function onStopSignal(signal) {
  if (stopSignal) return
  stopSignal = signal
  // Next registers its handler once its server listens (start-server.ts, startServer), before it loads
  // the request handlers: with only this listener, no request can have been served yet.
  if (process.listenerCount(signal) === 1) {
    log(`${signal} before the server was ready: exiting`)
    exit(0)
  }
  for (const response of inFlight.keys()) {
    if (!response.headersSent) response.setHeader('Connection', 'close')
  }
  log(`${signal}: no new connections; finishing ${inFlight.size} request(s) in flight (at most ${grace} s, ${SETTING})`)

  setTimeout(() => {
    cut = inFlight.size
    log(`${SETTING}=${grace} passed with ${cut} request(s) still running: closing their connections`)
    for (const server of servers) server.closeAllConnections()
    for (const { socket } of inFlight.values()) socket.destroy()
    setTimeout(() => {
      console.error(`web: the server had not finished ${CLEANUP_SECONDS} s after closing every connection: exiting with 1`)
      exit(1)
    }, CLEANUP_SECONDS * 1000).unref()
  }, grace * 1000).unref()
}

// Registered before server.js loads, so these run before Next's own listeners for the same signal.
process.on('SIGTERM', onStopSignal)
process.on('SIGINT', onStopSignal)

// Next installs its drain only when NEXT_MANUAL_SIG_HANDLE is unset (start-server.ts); this file
// relies on that drain, so the variable is not passed on.
delete process.env.NEXT_MANUAL_SIG_HANDLE

await import('./server.js')
