#!/usr/bin/env node
/**
 * Add the lockfile entries npm needs on other platforms: platform-specific optional packages
 * (e.g. @next/swc-darwin-arm64) that some registries or mirrors lack, so that `npm install` against
 * them writes no entry. npm >= 11 `npm ci` refuses a lockfile that lacks them ("Missing: ... from
 * lock file"), while a lockfile made against the full registry would have them. Each added entry
 * names the exact version the parent pins plus the os/cpu/libc read from the package name, so npm
 * skips it on other platforms without fetching; on a platform that needs one, npm fetches it by name.
 *
 *   usage: node scripts/complete-lockfile.mjs [package-lock.json]   (scripts/lock runs it)
 */
import { readFileSync, writeFileSync } from 'node:fs'

const OS = ['aix', 'android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'openharmony', 'sunos', 'win32']
const CPU = ['arm64', 'arm', 'ia32', 'loong64', 'ppc64', 's390x', 'riscv64', 'wasm32', 'x64']

/** os/cpu/libc from a name such as @unrs/resolver-binding-linux-arm-musleabihf. */
function platformOf(name) {
  const tokens = name.split('/').pop().split('-')
  const os = tokens.find((t) => OS.includes(t))
  const cpu = tokens.find((t) => CPU.includes(t))
  if (!os || !cpu) return null
  const platform = { os: [os], cpu: [cpu] }
  if (os === 'linux' && tokens.some((t) => t.startsWith('gnu'))) platform.libc = ['glibc']
  if (os === 'linux' && tokens.some((t) => t.startsWith('musl'))) platform.libc = ['musl']
  return platform
}

const file = process.argv[2] ?? 'package-lock.json'
const lock = JSON.parse(readFileSync(file, 'utf8'))
const added = []
for (const [where, pkg] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`
    if (lock.packages[key] || lock.packages[`${where}/${key}`]) continue
    const platform = platformOf(name)
    if (!platform || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range)) {
      console.error(`cannot complete ${name}@${range} (needed by ${where || 'the root'}): not a pinned platform package`)
      process.exit(1)
    }
    const entry = { version: range, ...platform, optional: true }
    if (pkg.dev) entry.dev = true
    if (pkg.devOptional) entry.devOptional = true
    lock.packages[key] = entry
    added.push(`${name}@${range}`)
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
)
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
console.log(added.length ? `added ${added.length} entries: ${added.join(' ')}` : 'lockfile already complete')
