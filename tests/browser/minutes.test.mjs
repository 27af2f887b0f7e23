import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

// A weekday some way ahead, away from the Christmas and New Year bank holidays.
function weekdayAhead (days) {
  const day = new Date(Date.now() + days * 24 * 3600 * 1000)
  const holiday = d => (d.getUTCMonth() === 11 && d.getUTCDate() >= 25) || (d.getUTCMonth() === 0 && d.getUTCDate() <= 1)
  while ([0, 6].includes(day.getUTCDay()) || holiday(day)) day.setUTCDate(day.getUTCDate() + 1)
  return day
}

async function addMeeting (page, group, day) {
  await page.goto(`${BASE_URL}/p/swindon/groups/${group}/meetings/new`)
  await page.getByLabel('Day', { exact: true }).fill(String(day.getUTCDate()))
  await page.getByLabel('Month', { exact: true }).fill(String(day.getUTCMonth() + 1))
  await page.getByLabel('Year', { exact: true }).fill(String(day.getUTCFullYear()))
  await page.getByRole('button', { name: 'Add meeting' }).click()
  await page.waitForURL(/\/p\/swindon\/meetings\/[0-9a-f-]+$/)
  return page.url()
}

test('plan, submit an item, circulate, record attendance, then minute, approve and publish', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/structure`)
  await page.getByRole('link', { name: 'Swindon Safeguarding Executive' }).first().click()
  const group = page.url().split('/').pop()
  await page.getByRole('link', { name: 'Plan meetings' }).click()
  await assertAccessible(page, 'the plan meetings form')

  const meeting = await addMeeting(page, group, weekdayAhead(75))
  const later = await addMeeting(page, group, weekdayAhead(110))
  await page.goto(meeting)
  await page.getByLabel('Title', { exact: true }).fill('Annual report sign-off')
  await page.getByLabel('Decision').check()
  await page.getByRole('button', { name: 'Submit item' }).click()
  // The business manager builds the agenda: their own item goes straight on it.
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Annual report sign-off is on the agenda/)
  await page.getByLabel('Upload a paper').setInputFiles({ name: 'notes.txt', mimeType: 'application/pdf', buffer: Buffer.from('just text, not a PDF') })
  await page.getByRole('button', { name: 'Upload paper' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /must be a PDF, Word, Excel, PowerPoint or OpenDocument file/)
  await assertAccessible(page, 'a meeting page with an upload error')
  const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1')
  await page.getByLabel('Paper title (optional)').fill('Annual report draft')
  await page.getByLabel('Upload a paper').setInputFiles({ name: 'annual-report.pdf', mimeType: 'application/pdf', buffer: pdf })
  await page.getByRole('button', { name: 'Upload paper' }).click()
  assert.ok(await page.getByRole('link', { name: 'Annual report draft' }).isVisible())
  await page.getByRole('button', { name: 'Mark the agenda and papers as circulated' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Pack circulated \d+ working days before the meeting/)
  await page.locator('select[name^="status_"]').first().selectOption('present')
  await page.getByRole('button', { name: 'Save attendance' }).click()

  await page.getByRole('link', { name: 'Write the minutes' }).click()
  await page.getByRole('button', { name: 'Start the minutes from the agenda' }).click()
  await page.getByLabel('Minute of Annual report sign-off').fill('The executive approved the annual report.')
  // Another button of the page keeps what is typed: a section without a heading is refused, and nothing typed is lost.
  await page.getByLabel('Action', { exact: true }).fill('Publish the annual report')
  await page.getByRole('button', { name: 'Add section' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /heading/)
  assert.equal(await page.getByLabel('Minute of Annual report sign-off').inputValue(), 'The executive approved the annual report.')
  assert.equal(await page.getByLabel('Action', { exact: true }).inputValue(), 'Publish the annual report')
  await assertAccessible(page, 'the minutes refused, as typed')
  await page.getByLabel('Action', { exact: true }).fill('')
  await page.getByRole('button', { name: 'Save the minutes' }).click()
  await assertAccessible(page, 'the minutes being drafted')
  await page.getByRole('button', { name: 'Circulate the draft for comment' }).click()
  await page.getByLabel('Approved at the meeting of').selectOption({ index: 1 })
  await page.getByRole('button', { name: 'Record approval' }).click()
  await page.getByRole('button', { name: 'Publish the minutes' }).click()
  await page.getByRole('link', { name: 'See the published version' }).click()
  assert.ok(await page.getByText('The executive approved the annual report.').isVisible())
  await assertAccessible(page, 'the published minutes')
  await page.goto(`${BASE_URL}/p/swindon/actions`)
  await assertAccessible(page, 'the actions page')
  // A search and a filter live in the address, so the view can be bookmarked and shared.
  await page.getByLabel('Search actions').fill('annual report')
  await page.getByLabel('Status').selectOption('all')
  await page.getByRole('button', { name: 'Apply' }).click()
  assert.match(page.url(), /[?&]q=annual\+report/)
  assert.match(page.url(), /[?&]status=all/)
  assert.equal(await page.getByLabel('Search actions').inputValue(), 'annual report')
  assert.match(await page.locator('.hub-list-count').textContent(), /No actions match/)
  await assertAccessible(page, 'the actions page, searched and filtered')
  await page.getByRole('link', { name: 'Clear the search and filters' }).click()
  assert.equal(page.url(), `${BASE_URL}/p/swindon/actions`)
  assert.ok(later.length > 0)
  await page.close()
})
