import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser), headless, with nothing of its own reaching the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A 1280×900 page whose script errors and console errors/warnings are collected into `errors`. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    // The tests' own getImageData calls draw Chromium's willReadFrequently hint.
    if (text.includes('willReadFrequently')) return;
    // The browser asks for /favicon.ico on its own; the agent has none (404), which is harmless.
    if (text.startsWith('Failed to load resource') && message.location().url.endsWith('/favicon.ico')) return;
    errors.push(`console.${message.type()}: ${text} (${message.location().url})`);
  });
  return page;
}
