import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

// A date `days` ahead in a GOV.UK date input.
async function fillDate (page, prefix, days) {
  const day = new Date(Date.now() + days * 24 * 3600 * 1000)
  await page.locator(`#${prefix}_day`).fill(String(day.getUTCDate()))
  await page.locator(`#${prefix}_month`).fill(String(day.getUTCMonth() + 1))
  await page.locator(`#${prefix}_year`).fill(String(day.getUTCFullYear()))
}

test('the business manager adds a risk, sees it on the heat map, reviews it and sets a mitigating action', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/risks`)
  await assertAccessible(page, 'the risk register')
  await page.getByRole('link', { name: 'Add a risk' }).click()
  await assertAccessible(page, 'the risk form')

  // Sent with nothing chosen: the error summary, and what was typed kept.
  await page.getByLabel('Cause').fill('Chronologies arrive late from agencies')
  await page.getByRole('button', { name: 'Add the risk' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Enter the risk's title/)
  assert.equal(await page.getByLabel('Cause').inputValue(), 'Chronologies arrive late from agencies')
  await assertAccessible(page, 'the risk form with errors')

  await page.getByLabel('Title').fill('Rapid reviews miss the 15 working-day deadline')
  await page.getByLabel('Effect').fill('The National Panel does not receive the rapid review in time')
  await page.getByLabel('Category').selectOption({ label: 'Statutory duties' })
  await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'Sam Business' })
  await page.getByLabel('Group that oversees it').selectOption({ label: 'Practice Review Group' })
  await page.getByLabel('Likelihood before the controls').selectOption('4')
  await page.getByLabel('Impact before the controls').selectOption('5')
  await page.getByLabel('Likelihood now, with the controls').selectOption('3')
  await page.getByLabel('Impact now, with the controls').selectOption('5')
  await page.getByLabel('Target likelihood').selectOption('1')
  await page.getByLabel('Target impact').selectOption('5')
  await page.getByRole('button', { name: 'Add the risk' }).click()
  await page.waitForURL(/\/p\/swindon\/risks\/[0-9a-f-]+$/)
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /added to the risk register/)
  assert.match(await page.locator('main').textContent(), /15 Very high/)
  await assertAccessible(page, 'a risk')

  // Reviewed: the score falls, and the history keeps both.
  await page.getByLabel('Likelihood now', { exact: true }).selectOption('2')
  await page.getByLabel('Impact now', { exact: true }).selectOption('5')
  await page.getByLabel('What the review found').fill('Chronology template agreed with every agency')
  await page.getByRole('button', { name: 'Record the review' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /reviewed: score 10 \(falling\)/)
  const history = page.getByRole('region', { name: 'Reviews of the risk' })
  assert.match(await history.textContent(), /Recorded on the register[\s\S]*Chronology template agreed/)

  // A mitigating action, through the actions owner.
  await page.getByText('Set a mitigating action').click()
  await page.getByLabel('What will be done').fill('Remind agencies of the chronology deadline at each notification')
  await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'Sam Business' })
  await fillDate(page, 'action_due', 30)
  await page.getByRole('button', { name: 'Set the action' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /action set for Sam Business/)
  assert.match(await page.getByRole('region', { name: 'Mitigating actions' }).textContent(), /Remind agencies of the chronology deadline/)
  await assertAccessible(page, 'a reviewed risk with its action')

  // On the register: in the heat map's table at likelihood 2, impact 5.
  await page.goto(`${BASE_URL}/p/swindon/risks`)
  const row = page.getByRole('row', { name: /^2 Unlikely/ })
  assert.match((await row.locator('td').nth(4).textContent()).trim(), /^1 \(High\)$/)
  assert.match(await page.locator('main').textContent(), /Rapid reviews miss the 15 working-day deadline/)
  await assertAccessible(page, 'the risk register with a risk')
  await page.close()
})

test('the business manager opens a Section 11 round, an agency completes its return, and the business manager accepts it', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/assurance`)
  await assertAccessible(page, 'the self-assessment rounds')
  await page.getByRole('link', { name: 'A Section 11 self-assessment' }).click()
  assert.match(await page.getByLabel('Standards').inputValue(), /The voice of the child is heard and acted on/)
  assert.ok(await page.getByLabel('British Transport Police').isChecked(), 'relevant agencies take part')
  await assertAccessible(page, 'the form to open a round')
  await page.getByLabel('Title').fill('Section 11 self-assessment (browser)')
  await page.getByRole('button', { name: 'Open the round' }).click()
  await page.waitForURL(/\/p\/swindon\/assurance\/rounds\/[0-9a-f-]+$/)
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /returns asked for/)
  await assertAccessible(page, 'a round\'s dashboard')

  // The agency's contact finds the return waiting on their home page.
  const context = await browser.newContext()
  const agency = await context.newPage()
  await signIn(agency, 'agency@swindon.example')
  await agency.waitForURL(`${BASE_URL}/p/swindon/`)
  await agency.getByRole('link', { name: /Complete British Transport Police's return/ }).click()
  await assertAccessible(agency, 'a return to fill')
  const radios = agency.locator('input[type=radio][value=green]')
  const evidence = agency.locator('textarea[id^=evidence_]')
  await radios.first().check()
  await evidence.first().fill('The force safeguarding board reviews this each quarter')
  await agency.getByRole('button', { name: 'Save and finish later' }).click()
  assert.match(await agency.locator('.govuk-notification-banner').textContent(), /Return saved/)
  assert.equal(await evidence.first().inputValue(), 'The force safeguarding board reviews this each quarter')
  await agency.getByRole('button', { name: 'Submit the return' }).click()
  assert.match(await agency.locator('.govuk-error-summary').textContent(), /Choose a rating of standard 2/)
  await assertAccessible(agency, 'a return with errors')
  const count = await radios.count()
  for (let i = 0; i < count; i++) {
    await radios.nth(i).check()
    if (i > 0) await evidence.nth(i).fill(`Evidence for standard ${i + 1}`)
  }
  await agency.getByRole('button', { name: 'Submit the return' }).click()
  assert.match(await agency.locator('.govuk-notification-banner').textContent(), /return submitted: it is locked/)
  assert.equal(await agency.getByRole('button', { name: 'Submit the return' }).count(), 0)
  await assertAccessible(agency, 'a submitted return')
  const returnUrl = agency.url()
  await context.close()

  // The business manager accepts it; the dashboard counts it.
  await page.goto(returnUrl)
  await assertAccessible(page, 'a submitted return for the business manager')
  await page.getByRole('button', { name: 'Accept the return' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /return accepted/)
  await page.getByRole('link', { name: /SA\d+: Section 11 self-assessment \(browser\)/ }).first().click()
  assert.match(await page.locator('main').textContent(), /1 accepted/)
  await page.close()
})
