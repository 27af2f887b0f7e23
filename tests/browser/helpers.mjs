// Shared by the browser journeys: Debian's Chromium, driven by playwright-core,
// and axe-core for accessibility. No browser is ever downloaded.
import { chromium } from 'playwright-core'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
export const EMAIL = process.env.HUB_EMAIL ?? 'bm@swindon.example'
export const PASSWORD = process.env.HUB_PASSWORD ?? ''

export async function launch () {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ]
  })
}

// axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules; the page must have no
// violations at the desktop width, nor at a phone's, where it must also not
// scroll sideways.
export async function assertAccessible (page, what) {
  await assertAxe(page, what)
  await assertFitsPhone(page, what)
}

async function assertAxe (page, what) {
  await page.evaluate(axeSource)
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
  )
  const summary = results.violations.map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)
  assert.deepEqual(summary, [], `axe-core found problems on ${what}`)
  assert.ok(results.passes.length > 10, `axe-core ran its rules on ${what}`)
}

export async function signIn (page, email = EMAIL, password = PASSWORD) {
  await page.goto(`${BASE_URL}/login`)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

// At a phone's width (390 px) the page must not scroll sideways, and axe-core
// must find nothing there either; the page is left at the desktop width.
export async function assertFitsPhone (page, what) {
  const desktop = page.viewportSize() ?? { width: 1280, height: 720 }
  await page.setViewportSize({ width: 390, height: 844 })
  try {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(wide <= 390, `${what} is ${wide} px wide at a phone's 390 px`)
    await assertAxe(page, `${what} at a phone's width`)
  } finally {
    await page.setViewportSize(desktop)
  }
}

// The bank holidays the product counts working days against (the shipped calendar), as "YYYY-MM-DD".
const bankHolidays = new Set(readFileSync(new URL('../../data/england-and-wales-bank-holidays.csv', import.meta.url), 'utf8')
  .split('\n').slice(1).map(line => line.split(',')[0]).filter(Boolean))

// The first working day (not a weekend, not a bank holiday) at least `days` ahead.
export function weekdayAhead (days) {
  const day = new Date(Date.now() + days * 24 * 3600 * 1000)
  while ([0, 6].includes(day.getUTCDay()) || bankHolidays.has(day.toISOString().slice(0, 10))) day.setUTCDate(day.getUTCDate() + 1)
  return day
}

// A working day at least `days` ahead, typed into the form's Day, Month and Year fields.
export async function fillWeekdayAhead (page, days) {
  const day = weekdayAhead(days)
  await page.getByLabel('Day', { exact: true }).fill(String(day.getUTCDate()))
  await page.getByLabel('Month', { exact: true }).fill(String(day.getUTCMonth() + 1))
  await page.getByLabel('Year', { exact: true }).fill(String(day.getUTCFullYear()))
}

// The day `days` from today (negative: before), typed into the date input whose fields are `${prefix}_day`, `_month` and `_year`.
export async function fillDate (page, prefix, days) {
  const day = new Date(Date.now() + days * 24 * 3600 * 1000)
  await page.locator(`#${prefix}_day`).fill(String(day.getUTCDate()))
  await page.locator(`#${prefix}_month`).fill(String(day.getUTCMonth() + 1))
  await page.locator(`#${prefix}_year`).fill(String(day.getUTCFullYear()))
}
