import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Every input, select and textarea of the page has a label. (Here, not in ../support: it needs the DOM types.) */
export async function expectLabelled(page: Page): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('main input, main select, main textarea')].filter((input) => !input.labels?.length).map((input) => input.name),
  );
  expect(unlabelled).toEqual([]);
}
