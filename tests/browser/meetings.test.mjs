import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

test('a business manager adds a meeting, puts their own item straight on the agenda and records attendance', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/structure`)
  await page.getByRole('link', { name: 'Swindon Safeguarding Executive' }).first().click()
  await page.getByRole('link', { name: 'Add a meeting' }).click()
  await assertAccessible(page, 'the add a meeting form')
  // A weekday away from the Christmas and New Year bank holidays.
  const day = new Date(Date.now() + 60 * 24 * 3600 * 1000)
  const holiday = d => (d.getUTCMonth() === 11 && d.getUTCDate() >= 25) || (d.getUTCMonth() === 0 && d.getUTCDate() <= 1)
  while ([0, 6].includes(day.getUTCDay()) || holiday(day)) day.setUTCDate(day.getUTCDate() + 1)
  await page.getByLabel('Day', { exact: true }).fill(String(day.getUTCDate()))
  await page.getByLabel('Month', { exact: true }).fill(String(day.getUTCMonth() + 1))
  await page.getByLabel('Year', { exact: true }).fill(String(day.getUTCFullYear()))
  await page.getByLabel('Start time').fill('10:00')
  await page.getByLabel('End time').fill('09:00')
  await page.getByRole('button', { name: 'Add meeting' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /End time must be after the start time/)
  await assertAccessible(page, 'the add a meeting form with an error')
  await page.getByLabel('End time').fill('12:00')
  await page.getByLabel('Place (optional)').fill('Civic Offices, Swindon')
  await page.getByRole('button', { name: 'Add meeting' }).click()
  await page.waitForURL(/\/p\/swindon\/meetings\/[0-9a-f-]+$/)
  assert.ok(await page.getByText('Agenda items due').isVisible())

  await page.getByLabel('Title', { exact: true }).fill('Business plan progress')
  await page.getByLabel('Decision').check()
  await page.getByRole('button', { name: 'Submit item' }).click()
  // The business manager builds the agenda: their own item goes straight on it.
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Business plan progress is on the agenda/)
  assert.ok(await page.getByText('1. Business plan progress').isVisible())
  await assertAccessible(page, 'a meeting page')

  const selects = page.locator('select[name^="status_"]')
  assert.ok(await selects.count() > 0, 'the group has members to record')
  await selects.first().selectOption('present')
  await page.getByRole('button', { name: 'Save attendance' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Attendance saved/)
  await page.goto(`${BASE_URL}/p/swindon/meetings`)
  await assertAccessible(page, 'the meetings list')
  await page.getByLabel('Which').selectOption('all')
  await page.getByRole('button', { name: 'Apply' }).click()
  assert.match(page.url(), /[?&]when=all/)
  assert.match(await page.locator('.hub-list-count').textContent(), /meetings/)
  await assertAccessible(page, 'every meeting, a page at a time')
  await page.close()
})
