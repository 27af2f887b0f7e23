import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, PASSWORD, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

// A delegated partner in a browser of their own, on the decision's page.
async function partner (who) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await signIn(page, `dsp-${who}@swindon.example`, PASSWORD)
  // With one partnership, signing in lands on its home page.
  await page.waitForURL(`${BASE_URL}/p/swindon/`)
  return page
}

async function respond (page, answer) {
  await page.getByLabel(answer, { exact: true }).check()
  await page.getByRole('button', { name: /Send your response|Cast your vote/ }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /recorded/)
}

test('raise a decision, partners respond, the chair calls a vote and the outcome is locked', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/decisions/rules`)
  await assertAccessible(page, 'the decision rules')
  await page.goto(`${BASE_URL}/p/swindon/decisions`)
  await assertAccessible(page, 'the decision register')
  await page.getByRole('link', { name: 'Raise a decision' }).click()
  await page.getByRole('button', { name: 'Raise the decision' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Choose the group that takes the decision/)
  await assertAccessible(page, 'the raise form with errors')

  const deadline = new Date(Date.now() + 14 * 24 * 3600 * 1000)
  await page.getByLabel('Which group takes the decision').selectOption({ label: 'Swindon Safeguarding Executive' })
  await page.getByLabel('Title', { exact: true }).fill('Fund a neglect practice lead')
  await page.getByLabel('The question').fill('Do the partners agree to fund a neglect practice lead from the pooled budget?')
  await page.getByLabel('Day', { exact: true }).fill(String(deadline.getUTCDate()))
  await page.getByLabel('Month', { exact: true }).fill(String(deadline.getUTCMonth() + 1))
  await page.getByLabel('Year', { exact: true }).fill(String(deadline.getUTCFullYear()))
  await page.getByRole('button', { name: 'Raise the decision' }).click()
  await page.waitForURL(/\/p\/swindon\/decisions\/[0-9a-f-]+$/)
  const decision = page.url()
  assert.match(await page.locator('h1').textContent(), /Fund a neglect practice lead/)
  await assertAccessible(page, 'an open decision, as the business manager')

  // The council agrees; the ICB disagrees, so there is no consensus.
  const council = await partner('council')
  assert.ok(await council.getByRole('link', { name: /Fund a neglect practice lead/ }).isVisible(), 'waiting on the home page')
  await assertAccessible(council, 'the partnerships page with a decision waiting')
  await council.goto(`${BASE_URL}/p/swindon/deputies`)
  assert.ok(await council.getByRole('button', { name: 'Nominate' }).isVisible(), 'a colleague can be nominated')
  await assertAccessible(council, 'the deputies page, as a delegated partner')
  await council.goto(decision)
  await assertAccessible(council, 'the decision, as a delegated partner')
  await respond(council, 'Agree')
  const icb = await partner('icb')
  await icb.goto(decision)
  await icb.getByLabel('Comment (optional)').fill('Not affordable this year.')
  await respond(icb, 'Disagree')

  // The business manager calls a formal vote.
  await page.goto(decision)
  await page.getByLabel('Day', { exact: true }).fill(String(deadline.getUTCDate()))
  await page.getByLabel('Month', { exact: true }).fill(String(deadline.getUTCMonth() + 1))
  await page.getByLabel('Year', { exact: true }).fill(String(deadline.getUTCFullYear()))
  await page.getByRole('button', { name: 'Call the vote' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Formal vote called/)

  await council.goto(decision)
  await respond(council, 'For')
  await icb.goto(decision)
  await respond(icb, 'Against')

  // The police gave their vote by email; the business manager records it with the evidence.
  await page.goto(decision)
  await page.getByRole('link', { name: 'Record a response for Wiltshire Police on their behalf' }).click()
  await page.getByRole('button', { name: 'Record the response' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Enter how the partner gave this response/)
  await assertAccessible(page, 'the on-behalf form with errors')
  await page.getByLabel('For', { exact: true }).check()
  await page.getByLabel('How they gave it').fill('Vote by email from the delegated partner')
  await page.getByRole('button', { name: 'Record the response' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /carried by majority vote/)
  assert.match(await page.locator('.hub-outcome').textContent(), /2 for, 1 against, 0 abstaining/)
  await assertAccessible(page, 'a decided decision with its full record')

  // The register finds it among those carried.
  await page.goto(`${BASE_URL}/p/swindon/decisions`)
  await page.getByLabel('Search decisions').fill('neglect practice')
  await page.getByLabel('Status').selectOption('carried')
  await page.getByRole('button', { name: 'Apply' }).click()
  assert.match(page.url(), /status=carried/)
  assert.ok(await page.getByRole('link', { name: /Fund a neglect practice lead/ }).isVisible())
  await assertAccessible(page, 'the decision register, searched and filtered')

  // Closed: the form has gone and the public register shows the outcome.
  await council.goto(decision)
  assert.equal(await council.getByRole('button', { name: 'Cast your vote' }).count(), 0)
  const visitor = await (await browser.newContext()).newPage()
  await visitor.goto(`${BASE_URL}/public/swindon/decisions`)
  assert.ok(await visitor.getByRole('link', { name: /Fund a neglect practice lead/ }).isVisible())
  await assertAccessible(visitor, 'the public decision register')
  await visitor.getByRole('link', { name: /Fund a neglect practice lead/ }).click()
  assert.match(await visitor.locator('table').textContent(), /Wiltshire Police\s*For/)
  await assertAccessible(visitor, 'a decision on the public register')
})
