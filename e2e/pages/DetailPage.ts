// Page object: a container's detail view and its tabs.
import type { Page } from 'playwright-core';

export type Tab =
  | 'Overview'
  | 'Logs'
  | 'Terminal'
  | 'Stats'
  | 'Resources'
  | 'Processes'
  | 'Changes'
  | 'Under the hood'
  | 'Inspect';

export class DetailPage {
  constructor(readonly page: Page) {}

  async tab(name: Tab): Promise<void> {
    await this.page.getByRole('tab', { name, exact: true }).click();
  }

  async back(): Promise<void> {
    await this.page.click('button[aria-label="Back to containers"]');
  }

  /** Text of the terminal's rows, as xterm rendered it. */
  async terminalText(): Promise<string> {
    return this.page.locator('[data-testid=terminal] .xterm-rows').innerText();
  }

  async typeInTerminal(text: string): Promise<void> {
    await this.page.locator('[data-testid=terminal] .xterm').click();
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Enter');
  }

  async waitTerminal(pred: (text: string) => boolean, what: string, timeout = 15_000): Promise<string> {
    const end = Date.now() + timeout;
    let t = '';
    while (Date.now() < end) {
      t = await this.terminalText().catch(() => '');
      if (pred(t)) return t;
      await this.page.waitForTimeout(100);
    }
    throw new Error(`terminal never showed ${what}; it shows:\n${t}`);
  }

  async logText(): Promise<string> {
    return this.page.locator('[data-testid=logs]').innerText();
  }
}
