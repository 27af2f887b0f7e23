import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, PASSWORD, launch, assertAccessible, signIn, fillWeekdayAhead } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

// Choose the next stage on a review's page and record it, with what that stage asks for.
async function stage (page, label, fill = async () => {}) {
  await page.getByLabel('Next stage').selectOption({ label })
  await fill()
  await page.getByRole('button', { name: 'Record the stage' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Child Q/)
}

// Each delegated partner agrees, seeing the pseudonym and never the child's name.
async function partnersAgree (decision) {
  for (const who of ['council', 'icb', 'police']) {
    const context = await browser.newContext()
    const partner = await context.newPage()
    await signIn(partner, `dsp-${who}@swindon.example`, PASSWORD)
    await partner.waitForURL(`${BASE_URL}/p/swindon/`)
    await partner.goto(`${BASE_URL}${decision}`)
    assert.match(await partner.locator('h1').textContent(), /Child Q/)
    assert.doesNotMatch(await partner.locator('main').textContent(), /Quinn Invented/)
    await partner.getByLabel('Agree', { exact: true }).check()
    await partner.getByRole('button', { name: /Send your response/ }).click()
    await context.close()
  }
}

test('a notification goes through its rapid review meeting and the agencies\' answers, the partners decide, and the practice review is published with its actions', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/reviews`)
  await assertAccessible(page, 'the reviews dashboard')
  await page.getByRole('link', { name: 'Record a notification or referral' }).click()
  await assertAccessible(page, 'the notification form')
  await page.getByRole('button', { name: 'Record it' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Enter the pseudonym/)
  await assertAccessible(page, 'the notification form with errors')
  await page.getByLabel('A serious child safeguarding incident notified to the National Panel').check()
  await page.getByLabel('Pseudonym').fill('Child Q')
  await page.getByLabel('For a serious child safeguarding incident: why it is notified').selectOption({ label: 'Abuse or neglect known or suspected, and the child was seriously harmed' })
  await page.getByLabel('Group overseeing the review').selectOption({ label: 'Practice Review Group' })
  const aware = new Date(Date.now() - 2 * 24 * 3600 * 1000)
  await page.locator('#aware_day').fill(String(aware.getUTCDate()))
  await page.locator('#aware_month').fill(String(aware.getUTCMonth() + 1))
  await page.locator('#aware_year').fill(String(aware.getUTCFullYear()))
  await page.getByRole('button', { name: 'Record it' }).click()
  await page.waitForURL(/\/p\/swindon\/reviews\/[0-9a-f-]+$/)
  const review = page.url()
  assert.match(await page.locator('h1').textContent(), /Child Q/)
  assert.match(await page.locator('main').textContent(), /Notify the Panel by/)
  await assertAccessible(page, 'a review')

  // The case, on its own page: the child's name stays there.
  await page.getByRole('link', { name: 'Open the case' }).click()
  await page.locator('#subject1_full_name').fill('Quinn Invented')
  await page.getByLabel('The facts: what happened and the key practice episodes').fill('Admitted to hospital; known to three agencies.')
  await page.getByRole('button', { name: 'Save the case' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /the case saved/)
  await assertAccessible(page, 'the case')
  await page.goto(review)

  // The rapid review meeting: an extraordinary meeting of the review group, with the review on its agenda by pseudonym.
  await page.getByRole('link', { name: 'Schedule one' }).click()
  await fillWeekdayAhead(page, 7)
  await page.getByLabel('Start time').fill('10:00')
  await page.getByLabel('End time').fill('11:00')
  await page.getByRole('button', { name: 'Add meeting' }).click()
  await page.waitForURL(/\/p\/swindon\/meetings\/[0-9a-f-]+$/)
  await page.goto(review)
  await page.getByLabel('Take the review to a meeting of the Practice Review Group').selectOption({ index: 1 })
  await page.getByRole('button', { name: 'Put it on the agenda' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Child Q is on the agenda/)
  await page.getByRole('link', { name: /Practice Review Group on/ }).click()
  assert.match(await page.locator('main').textContent(), /Rapid review: Child Q \(R\d+\)/)
  assert.doesNotMatch(await page.locator('main').textContent(), /Quinn Invented/)
  await page.goto(review)

  // The police are asked for their involvement; their delegated partner answers with a summary and a chronology.
  await page.getByRole('link', { name: 'Ask an agency' }).click()
  await assertAccessible(page, 'the information request form')
  await page.getByLabel('The person at the agency who answers').selectOption({ label: 'Delegated partner (Wiltshire Police), Wiltshire Police' })
  await page.getByRole('button', { name: 'Send the request' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Wiltshire Police asked about Child Q/)
  await assertAccessible(page, 'a review with an information request')
  {
    const context = await browser.newContext()
    const police = await context.newPage()
    await signIn(police, 'dsp-police@swindon.example', PASSWORD)
    await police.waitForURL(`${BASE_URL}/p/swindon/`)
    await police.getByRole('link', { name: /Child Q: Wiltshire Police/ }).click()
    await assertAccessible(police, 'an information request')
    await police.getByRole('button', { name: 'Save the summary' }).click()
    assert.match(await police.locator('.govuk-error-summary').textContent(), /Enter the summary/)
    await police.getByLabel('Summary of your agency\'s involvement').fill('Officers attended the home twice in March.')
    await police.getByRole('button', { name: 'Save the summary' }).click()
    assert.match(await police.locator('.govuk-notification-banner').textContent(), /summary saved/)
    await police.getByLabel('Upload the chronology').setInputFiles({
      name: 'chronology.pdf', mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
    })
    await police.getByRole('button', { name: 'Upload', exact: true }).click()
    assert.match(await police.locator('main').textContent(), /chronology/)
    await context.close()
  }
  await page.goto(review)
  assert.match(await page.locator('#requests ~ .hub-table-scroll table').first().textContent(), /Answered/)

  await stage(page, 'Rapid review')
  await stage(page, 'Recommendation with the decision-makers', async () => {
    await page.getByLabel('The group\'s recommendation (when recommending)').selectOption({ label: 'Commission a child safeguarding practice review' })
    await page.getByLabel('The group\'s reasons (when recommending)').fill('The criteria of regulation 11 are met.')
  })
  const decision = await page.getByRole('link', { name: /^Decision D\d+$/ }).getAttribute('href')

  await partnersAgree(decision)

  // Their agreement commissioned the review: nobody records it.
  await page.goto(review)
  assert.match(await page.locator('.govuk-tag').first().textContent(), /Review commissioned/)
  await stage(page, 'Terms of reference agreed')
  await stage(page, 'Lead reviewer appointed', async () => {
    await page.getByLabel('Lead reviewer (when appointing)').fill('An Independent Reviewer')
  })
  for (const label of ['Methodology agreed', 'Practitioners and family involved', 'Draft report', 'Final report']) {
    await stage(page, label)
  }
  await stage(page, 'Publication decided', async () => {
    await page.getByLabel('What the partners decided about publishing').selectOption({ label: 'Publish' })
  })
  // The delegated partners endorse it before the report goes out.
  await partnersAgree(await page.getByRole('link', { name: /^Decision D\d+$/ }).last().getAttribute('href'))
  await page.goto(review)
  await stage(page, 'Published', async () => {
    await page.getByLabel('Summary of learning for the public page (when published)').fill('Agencies now share what they know when a family moves.')
  })
  assert.match(await page.locator('.govuk-tag').first().textContent(), /Published/)
  // The report's recommendations become actions for the review group to track, or are not implemented, with the reasons.
  await page.getByLabel('Add a recommendation').fill('Agencies share information at every transfer between areas.')
  await page.getByRole('button', { name: 'Add it' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /recommendation recorded/)
  await page.getByLabel('Add a recommendation').fill('A single case record across agencies.')
  await page.getByRole('button', { name: 'Add it' }).click()
  await page.getByText('Not to be implemented').last().click()
  await page.getByRole('button', { name: 'Record the reasons' }).last().click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Enter the reasons/)
  await assertAccessible(page, 'a review with a recommendation\'s reasons missing')
  await page.getByLabel('Why recommendation 2 will not be implemented').fill('National systems are being procured.')
  await page.getByRole('button', { name: 'Record the reasons' }).last().click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /recommendation 2 is not to be implemented/)
  await page.getByRole('link', { name: 'Set an action' }).click()
  await page.getByRole('button', { name: 'Set the action' }).click()
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Enter the action/)
  await assertAccessible(page, 'the action form with errors')
  await page.getByLabel('What will be done').fill('Share information at every transfer between areas')
  await page.getByLabel('For which recommendation').selectOption({ index: 1 })
  await page.getByLabel('Owner').selectOption({ label: 'Sam Business' })
  const due = new Date(Date.now() + 90 * 24 * 3600 * 1000)
  await page.locator('#action_due_day').fill(String(due.getUTCDate()))
  await page.locator('#action_due_month').fill(String(due.getUTCMonth() + 1))
  await page.locator('#action_due_year').fill(String(due.getUTCFullYear()))
  await page.getByRole('button', { name: 'Set the action' }).click()
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /action set for Sam Business/)
  assert.match(await page.locator('main').textContent(), /1\. Agencies share information at every transfer between areas\.\s*Share information at every transfer between areas: Sam Business/)
  await assertAccessible(page, 'a published review')

  // The public page: the learning under the pseudonym, to anyone.
  const visitor = await browser.newPage()
  await visitor.goto(`${BASE_URL}/public/swindon/reviews`)
  assert.match(await visitor.locator('main').textContent(), /Child Q/)
  assert.doesNotMatch(await visitor.locator('main').textContent(), /Quinn Invented/)
  assert.equal(await visitor.getByRole('button', { name: 'Emergency Exit this page' }).getAttribute('href'), 'https://www.bbc.co.uk/weather')
  await assertAccessible(visitor, 'the public page of reviews')
  await visitor.close()
  await page.close()
})
