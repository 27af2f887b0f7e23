import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, PASSWORD, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

async function as (email) {
  const page = await (await browser.newContext()).newPage()
  await signIn(page, email, PASSWORD)
  await page.waitForURL(`${BASE_URL}/`)
  return page
}

const banner = page => page.locator('.govuk-notification-banner').textContent()

test('a scrutineer submits quarterly findings, a partner responds and the action is completed and confirmed', async () => {
  const scrutineer = await as('scrutineer@swindon.example')
  await scrutineer.goto(`${BASE_URL}/p/swindon/scrutiny`)
  await assertAccessible(scrutineer, 'the scrutiny page, as a scrutineer')
  await scrutineer.getByRole('link', { name: 'Start a quarterly report' }).click()
  await scrutineer.getByLabel('Title').fill('Neglect: the partnership response')
  await scrutineer.getByRole('button', { name: 'Start the draft' }).click()
  await scrutineer.waitForURL(/\/scrutiny\/reports\/[0-9a-f-]+$/)
  const report = scrutineer.url()
  await assertAccessible(scrutineer, 'a draft report')

  await scrutineer.getByLabel('Upload the report').setInputFiles({ name: 'q.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ not a document') })
  await scrutineer.getByRole('button', { name: 'Attach the file' }).click()
  assert.match(await scrutineer.locator('.govuk-error-summary').textContent(), /must be a PDF, Word, Excel, PowerPoint or OpenDocument file/)
  await assertAccessible(scrutineer, 'a draft report with an upload error')
  const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1')
  await scrutineer.getByLabel('Upload the report').setInputFiles({ name: 'neglect-q.pdf', mimeType: 'application/pdf', buffer: pdf })
  await scrutineer.getByRole('button', { name: 'Attach the file' }).click()
  assert.match(await banner(scrutineer), /attached to the draft/)
  await scrutineer.getByLabel('Summary').fill('We audited 20 neglect cases and met practitioners from each partner.')
  await scrutineer.getByLabel('Interviews').check()
  await scrutineer.getByLabel('Case file audit').check()
  await scrutineer.getByRole('button', { name: 'Save the draft' }).click()
  await scrutineer.getByLabel('Finding', { exact: true }).fill('Chronologies are rarely shared between agencies')
  await scrutineer.getByLabel('Assurance').selectOption('limited')
  await scrutineer.getByRole('button', { name: 'Add the finding' }).click()
  await scrutineer.getByRole('link', { name: /Add recommendations/ }).click()
  await assertAccessible(scrutineer, 'the recommendations of a finding')
  await scrutineer.getByLabel('Recommendation').fill('Adopt a shared multi-agency chronology for neglect cases')
  await scrutineer.getByLabel('Addressed to').selectOption({ label: 'Swindon Clinical Commissioning Group' })
  await scrutineer.getByRole('button', { name: 'Add the recommendation' }).click()
  await scrutineer.goto(report)
  await scrutineer.getByRole('button', { name: 'Submit the report' }).click()
  assert.match(await banner(scrutineer), /Report submitted and locked/)
  await assertAccessible(scrutineer, 'a submitted report')

  // The ICB's delegated partner accepts it and sets an action for the council's delegated partner.
  const icb = await as('dsp-icb@swindon.example')
  await icb.goto(report)
  await icb.getByRole('link', { name: 'Adopt a shared multi-agency chronology for neglect cases' }).click()
  await assertAccessible(icb, 'a recommendation awaiting a response')
  await icb.getByLabel('Accepted', { exact: true }).check()
  await icb.getByRole('button', { name: 'Record the response' }).click()
  assert.match(await icb.locator('.govuk-error-summary').textContent(), /Enter the action/)
  await assertAccessible(icb, 'the response form with errors')
  const due = new Date(Date.now() + 45 * 24 * 3600 * 1000)
  await icb.getByLabel('Accepted', { exact: true }).check()
  await icb.getByLabel('Action', { exact: true }).fill('Agree a shared chronology template with all partners')
  await icb.getByLabel('Owner').selectOption({ label: 'Delegated partner (Swindon Borough Council)' })
  await icb.getByLabel('Day', { exact: true }).fill(String(due.getUTCDate()))
  await icb.getByLabel('Month', { exact: true }).fill(String(due.getUTCMonth() + 1))
  await icb.getByLabel('Year', { exact: true }).fill(String(due.getUTCFullYear()))
  await icb.getByRole('button', { name: 'Record the response' }).click()
  assert.match(await banner(icb), /Response recorded: Accepted/)

  // The owner completes it with evidence; the person who set it confirms.
  const council = await as('dsp-council@swindon.example')
  await council.goto(`${BASE_URL}/p/swindon/actions`)
  await council.getByRole('link', { name: 'Agree a shared chronology template with all partners' }).click()
  await assertAccessible(council, 'an action, as its owner')
  await council.getByLabel('Status').selectOption('complete')
  await council.getByLabel('Evidence (optional)').fill('Template agreed at the executive on 3 March')
  await council.getByRole('button', { name: 'Save the update' }).click()
  assert.match(await council.locator('.govuk-summary-list').textContent(), /Complete, awaiting confirmation/)
  const action = council.url()
  await icb.goto(action)
  await icb.getByRole('button', { name: 'Confirm it is complete' }).click()
  assert.match(await banner(icb), /Completion confirmed/)
  assert.match(await icb.locator('.govuk-summary-list').textContent(), /Complete/)
  await assertAccessible(icb, 'a confirmed action with its updates')

  // The scrutineer sees what became of the recommendation, and the charts.
  await scrutineer.goto(`${BASE_URL}/p/swindon/scrutiny`)
  assert.match(await scrutineer.locator('table', { hasText: 'Adopt a shared multi-agency chronology' }).textContent(), /Accepted[\s\S]*1 of 1/)
  assert.ok(await scrutineer.locator('svg[role="img"]').first().isVisible())
  await assertAccessible(scrutineer, 'the scrutiny page with a report, a response and a completed action')
})
