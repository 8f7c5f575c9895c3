/**
 * Runtime settings, read from the environment on every call (never inlined at build time), so the
 * same image runs in every stack. Nothing here is NEXT_PUBLIC_: the API address stays on the server.
 */

/** Just the variables read here; a plain record, so tests can pass their own. */
type Env = Record<string, string | undefined>

/** The API container's alias on the shared Docker network. */
export const DEFAULT_API_INTERNAL_URL = 'http://api:8000'

/** Base URL of the API as reached from this server, without a trailing slash. */
export function apiInternalUrl(env: Env = process.env): string {
  const raw = env.API_INTERNAL_URL?.trim() || DEFAULT_API_INTERNAL_URL
  return raw.replace(/\/+$/, '')
}

/** Public address of the stack (as users type it), or null when the deployment did not say. */
export function publicUrl(env: Env = process.env): string | null {
  const raw = env.PUBLIC_URL?.trim()
  return raw ? raw.replace(/\/+$/, '') : null
}
