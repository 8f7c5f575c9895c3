#!/usr/bin/env node
/**
 * Render assets/stack.svg to public/stack.png (1600x800), the source image that next/image resizes
 * and re-encodes at run time. Generated rather than committed: the repository keeps no binaries.
 * Runs before `next build` and `next dev` (package.json prebuild/predev); skips when up to date.
 */
import { mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const source = path.join(root, 'assets', 'stack.svg')
const target = path.join(root, 'public', 'stack.png')

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs
  } catch {
    return -1
  }
}

if (mtime(target) >= mtime(source)) {
  console.log(`assets: ${path.relative(root, target)} is up to date`)
} else {
  mkdirSync(path.dirname(target), { recursive: true })
  const info = await sharp(source).resize(1600, 800).png({ compressionLevel: 9 }).toFile(target)
  console.log(`assets: rendered ${path.relative(root, target)} (${info.width}x${info.height}, ${info.size} bytes)`)
}
