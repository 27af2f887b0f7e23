// Two-factor sign-in in a real browser: setting it up from the QR code page,
// the recovery codes shown once, and the code step at the next sign-in; every
// page accessible at desktop and phone width.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { BASE_URL, PASSWORD, launch, assertAccessible, signIn } from './helpers.mjs'

const EMAIL = 'two-factor@swindon.example'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

function base32 (text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of text.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const bytes = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}

// RFC 6238 with SHA-1, 6 digits, 30-second steps: what an authenticator app shows.
function code (key, unixSeconds) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)))
  const mac = createHmac('sha1', base32(key)).update(counter).digest()
  const offset = mac[mac.length - 1] & 0xf
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000
  return String(number).padStart(6, '0')
}

async function fitsThePhone (page, what) {
  await page.setViewportSize({ width: 390, height: 844 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  assert.ok(overflow <= 0, `${what} scrolls sideways at 390 px`)
  await assertAccessible(page, `${what} at phone width`)
  await page.setViewportSize({ width: 1280, height: 800 })
}

test('a person sets up two-factor sign-in and signs in with a code', async () => {
  const page = await browser.newPage()
  await signIn(page, EMAIL, PASSWORD)
  await page.waitForURL(`${BASE_URL}/**`)
  await page.goto(`${BASE_URL}/account/two-factor`)
  assert.ok(await page.locator('.hub-qr svg').isVisible(), 'the QR code is drawn')
  await assertAccessible(page, 'the two-factor set-up page')
  await fitsThePhone(page, 'the two-factor set-up page')

  const key = (await page.locator('code.hub-break-words').textContent()).trim()
  await page.getByRole('textbox', { name: 'Code' }).fill('000000')
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible(), 'a wrong code is explained')
  await assertAccessible(page, 'the set-up page with an error')
  await page.getByRole('textbox', { name: 'Code' }).fill(code(key, Date.now() / 1000))
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
  assert.equal(await page.locator('.hub-recovery-codes li').count(), 10)
  await assertAccessible(page, 'the recovery codes')
  await fitsThePhone(page, 'the recovery codes')

  await page.getByRole('button', { name: 'Sign out' }).click()
  await signIn(page, EMAIL, PASSWORD)
  await page.waitForURL(`${BASE_URL}/login/code`)
  await assertAccessible(page, 'the code step')
  await fitsThePhone(page, 'the code step')
  // The set-up used this step's code; the app's next one signs in.
  await page.getByRole('textbox', { name: 'Code' }).fill(code(key, Date.now() / 1000 + 30))
  await page.getByRole('button', { name: 'Continue' }).click()
  // Their one partnership's home page.
  await page.waitForURL(`${BASE_URL}/p/swindon/`)
  assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), 'Swindon Safeguarding Partnership')
  await page.close()
})
