import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

// A date `days` from today (negative: before) in a GOV.UK date input.
async function fillDate (page, prefix, days) {
  const day = new Date(Date.now() + days * 24 * 3600 * 1000)
  await page.locator(`#${prefix}_day`).fill(String(day.getUTCDate()))
  await page.locator(`#${prefix}_month`).fill(String(day.getUTCMonth() + 1))
  await page.locator(`#${prefix}_year`).fill(String(day.getUTCFullYear()))
}

// This financial year as partnerships write it: "2026-27".
function thisYear () {
  const now = new Date()
  const start = now.getUTCMonth() >= 3 ? now.getUTCFullYear() : now.getUTCFullYear() - 1
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`
}

test('the business manager sets up the year\'s pooled budget, records a contribution, a payment and spending, and reads the position', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/budget`)
  await assertAccessible(page, 'the budget')
  await page.getByLabel('Financial year').selectOption(thisYear())
  await page.getByRole('button', { name: 'Set up the year' }).click()
  await page.waitForURL(`${BASE_URL}/p/swindon/budget/${thisYear()}`)

  // A line with three decimal places: refused on the form, with the name kept.
  await page.getByLabel('What it pays for').selectOption({ label: 'Business unit staffing' })
  await page.getByLabel('Line', { exact: true }).fill('Business manager post')
  await page.getByLabel('Amount budgeted, in pounds').fill('45,000.005')
  await page.getByRole('button', { name: 'Add the line' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /at most two decimal places/)
  assert.equal(await page.getByLabel('Line', { exact: true }).inputValue(), 'Business manager post')
  await assertAccessible(page, 'the budget year with an error')
  await page.getByLabel('Amount budgeted, in pounds').fill('45,000.00')
  await page.getByRole('button', { name: 'Add the line' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /£45,000.00 budgeted/)

  await page.getByLabel('Contributor', { exact: true }).selectOption({ label: 'Swindon Borough Council (statutory partner)' })
  await page.getByLabel('Cash or in kind').selectOption('cash')
  await page.getByLabel('Amount agreed, in pounds').fill('30000')
  await page.getByRole('button', { name: 'Record the contribution' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /contribution of £30,000.00 recorded/)

  await page.getByLabel('Contribution', { exact: true }).selectOption({ label: 'Swindon Borough Council' })
  await page.getByLabel('Invoice or payment').selectOption('payment')
  await fillDate(page, 'entry', -1)
  await page.getByLabel('Amount, in pounds').first().fill('30000')
  await page.getByRole('button', { name: 'Record it' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /payment received of £30,000.00 recorded/)

  await page.getByLabel('Budget line', { exact: true }).selectOption({ index: 1 })
  await fillDate(page, 'spend', -1)
  await page.getByLabel('What it was for').fill('Business manager, one month')
  await page.locator('#spend_amount').fill('3750.50')
  await page.getByRole('button', { name: 'Record the spending' }).click()
  const main = await page.locator('main').textContent()
  assert.match(main, /Carried forward to[\s\S]*£26,249.50/)
  assert.match(main, /£41,249.50/)
  await assertAccessible(page, 'the budget year')
  await page.close()
})

test('a course and a session; a participant with no account signs in as attending and evaluates through the link', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/training`)
  await assertAccessible(page, 'training')
  await page.getByLabel('Title').fill('Neglect: recognising and responding')
  await page.getByLabel('Level').selectOption('foundation')
  await page.getByLabel('Delivered by').selectOption('internal')
  await page.getByRole('button', { name: 'Add the course' }).click()
  await page.waitForURL(/\/training\/courses\/[0-9a-f-]+$/)
  await assertAccessible(page, 'a course')

  // Held yesterday, so that its link is open for attendance and evaluation.
  await fillDate(page, 'session', -1)
  await page.getByLabel('Starts at').fill('09:30')
  await page.getByLabel('Ends at').fill('12:30')
  await page.getByLabel('Where').fill('Civic Offices')
  await page.getByLabel('Places').fill('20')
  await page.getByRole('button', { name: 'Add the session' }).click()
  await page.getByRole('link', { name: /09:30/ }).first().click()
  await page.waitForURL(/\/training\/sessions\/[0-9a-f-]+$/)
  await page.getByLabel('Name', { exact: true }).fill('Pat Practitioner')
  await page.getByLabel('Email address').fill('pat@school.example')
  await page.getByLabel('Another agency', { exact: true }).fill('Drove Primary School')
  await page.getByRole('button', { name: 'Book the place' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Pat Practitioner booked/)
  await assertAccessible(page, 'a session')
  const link = (await page.locator('main code').textContent()).trim()

  // The participant: another browser, signed in to nothing.
  const visitor = await (await browser.newContext()).newPage()
  await visitor.goto(link)
  await assertAccessible(visitor, 'the participants\' link')
  await visitor.getByLabel('Your name').fill('Pat Practitioner')
  await visitor.getByLabel('Your work email address').fill('pat@school.example')
  await visitor.getByLabel('Another agency').fill('Drove Primary School')
  await visitor.getByRole('button', { name: 'Sign in as attending' }).click()
  assert.match(await visitor.locator('.govuk-notification-banner').textContent(), /your attendance is recorded/)
  await visitor.getByLabel('How would you rate the session overall?').selectOption('5')
  await visitor.getByLabel('How confident were you in the subject before the session?').selectOption('2')
  await visitor.getByLabel('How confident are you now?').selectOption('4')
  await visitor.getByLabel('Comments (optional)').fill('I now know what to record, and when')
  await visitor.getByRole('button', { name: 'Send the evaluation' }).click()
  assert.match(await visitor.locator('.govuk-notification-banner').textContent(), /your evaluation is recorded/)
  await assertAccessible(visitor, 'the participants\' link after sending')
  await visitor.close()

  await page.reload()
  const main = await page.locator('main').textContent()
  assert.match(main, /Attended\s*1/)
  assert.match(main, /rated 5.0 of 5/)
  assert.match(main, /I now know what to record, and when/)
  await page.goto(`${BASE_URL}/p/swindon/training`)
  await page.getByRole('link', { name: /^Q\d/ }).first().click()
  await assertAccessible(page, 'the quarterly training report')
  await page.close()
})

test('the business manager records what children said and what was done, and adds the thresholds document to the library', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/engagement`)
  await assertAccessible(page, 'engagement')
  await page.getByLabel('Whose views were sought').selectOption('children')
  await page.getByLabel('Activity', { exact: true }).fill('Youth council: feeling safe online')
  await fillDate(page, 'held', -2)
  await page.getByLabel('How many took part').fill('18')
  await page.getByLabel('What was heard (optional)').fill('They do not know who to tell')
  await page.getByRole('button', { name: 'Record the activity' }).click()
  await page.waitForURL(/\/engagement\/[0-9a-f-]+$/)
  await page.getByLabel('What we did about it').fill('Every pupil now has a card naming who to tell')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  assert.match(await page.locator('main').textContent(), /Every pupil now has a card/)
  await assertAccessible(page, 'an engagement activity')

  await page.goto(`${BASE_URL}/p/swindon/library`)
  await assertAccessible(page, 'the library')
  await page.getByLabel('Kind of document').selectOption('thresholds')
  await page.getByLabel('Title').fill('The Right Help at the Right Time')
  await page.getByLabel('Owner').selectOption({ label: 'Sam Business' })
  await page.getByRole('button', { name: 'Add the document' }).click()
  await page.waitForURL(/\/library\/[0-9a-f-]+$/)
  const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1')
  await page.getByLabel('The document').setInputFiles({ name: 'right-help.pdf', mimeType: 'application/pdf', buffer: pdf })
  await page.getByLabel('What changed (optional)').fill('First version')
  await page.getByRole('button', { name: 'Upload the version' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /version 1 uploaded/)
  assert.match(await page.locator('main').textContent(), /Version 1[\s\S]*Current/)
  await assertAccessible(page, 'a library document')
  await page.close()
})
