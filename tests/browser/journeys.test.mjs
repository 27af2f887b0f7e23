import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE_URL, launch, assertAccessible, signIn } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

test('a business manager signs in, picks a partnership and signs out', async () => {
  const page = await browser.newPage()
  await page.goto(`${BASE_URL}/login`)
  assert.equal(await page.title(), 'Sign in – Partnership Hub')
  await assertAccessible(page, 'the sign-in page')

  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Your partnerships')
  const choices = page.locator('.hub-card h3 a')
  assert.deepEqual(await choices.allTextContents(), [
    'Swindon Safeguarding Partnership',
    'Warwickshire Safeguarding Children Partnership'
  ])
  await assertAccessible(page, 'the choice of partnerships')
  // What needs them in both partnerships, each line named by its partnership.
  const needs = page.locator('.hub-needs .govuk-task-list__item')
  assert.ok(await needs.count() > 0, 'the list of partnerships says what needs them')
  const hints = (await page.locator('.hub-needs .govuk-task-list__hint').allTextContents()).join(' ')
  assert.match(hints, /Swindon Safeguarding Partnership/)
  assert.match(hints, /Warwickshire Safeguarding Children Partnership/)

  await page.getByRole('link', { name: 'Swindon Safeguarding Partnership' }).click()
  await page.waitForURL(`${BASE_URL}/p/swindon/`)
  assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), 'Swindon Safeguarding Partnership')
  assert.ok(await page.getByText('Runs the partnership day to day').isVisible())
  await assertAccessible(page, "the business manager's home page")
  // Each line leads to where the work is done.
  const first = page.locator('.hub-needs .govuk-task-list__link').first()
  const href = await first.getAttribute('href')
  await first.click()
  await page.waitForURL(`${BASE_URL}${href}`)
  await page.goBack()

  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL(`${BASE_URL}/login?signed_out=yes`)
  assert.ok(await page.getByText('You have signed out').isVisible())
  await page.goto(`${BASE_URL}/p/swindon/`)
  assert.match(page.url(), /\/login\?next=/)
  await page.close()
})

test('a wrong password is explained in an accessible error summary', async () => {
  const page = await browser.newPage()
  await signIn(page, 'bm@swindon.example', 'not the password')
  const summary = page.locator('.govuk-error-summary')
  assert.ok(await summary.isVisible())
  assert.match(await summary.textContent(), /Enter a correct email address and password/)
  assert.equal(await page.title(), 'Error: Sign in – Partnership Hub')
  await assertAccessible(page, 'the sign-in page with an error')
  await page.close()
})

test('a business manager adds a person, and the people pages are accessible', async () => {
  const page = await browser.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.goto(`${BASE_URL}/p/swindon/people/new`)
  await assertAccessible(page, 'the add a person form')
  await page.getByRole('button', { name: 'Add person' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible())
  await assertAccessible(page, 'the add a person form with errors')

  await page.getByLabel('Full name').fill('Gill May')
  await page.getByLabel('Email address').fill('gill.may@swindon-ccg.example')
  await page.getByLabel('Organisation they represent').selectOption({ label: 'Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board' })
  await page.getByLabel('Job title').fill('Director of Nursing and Transformation')
  await page.getByLabel('Delegated safeguarding partner').check()
  await page.getByRole('button', { name: 'Add person' }).click()
  await page.waitForURL(`${BASE_URL}/p/swindon/people`)
  assert.match(await page.locator('.govuk-notification-banner').textContent(), /Gill May added/)
  assert.ok(await page.getByRole('cell', { name: /^Gill May gill\.may/ }).isVisible())
  await assertAccessible(page, 'the people list')
  await page.close()
})

test('signing in works with JavaScript switched off', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  await signIn(page)
  await page.waitForURL(`${BASE_URL}/`)
  await page.getByRole('link', { name: 'Warwickshire Safeguarding Children Partnership' }).click()
  await page.waitForURL(`${BASE_URL}/p/warwickshire/`)
  assert.ok(await page.getByText('Gives independent scrutiny').isVisible())
  await context.close()
})

test('the footer leads anyone to the accessibility statement, the privacy notice and the cookies', async () => {
  const page = await browser.newPage()
  await page.goto(`${BASE_URL}/login`)
  for (const [link, heading] of [
    ['Accessibility statement', 'Accessibility statement for Partnership Hub'],
    ['Privacy notice', 'Privacy notice'],
    ['Cookies', 'Cookies']
  ]) {
    await page.locator('.govuk-footer').getByRole('link', { name: link, exact: true }).click()
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), heading)
    await assertAccessible(page, `the ${link.toLowerCase()} page`)
  }
  await page.close()
})
