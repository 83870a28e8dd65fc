// Page object: the Containers list.
import type { Locator, Page } from 'playwright-core';

export class ContainersPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.click('[data-nav=containers]');
    await this.page.waitForSelector('h1:text("Containers")');
  }

  row(name: string): Locator {
    return this.page.locator(`[data-testid=container-row][data-name="${name}"]`);
  }

  async state(name: string): Promise<string | null> {
    return this.row(name).locator('[data-state]').getAttribute('data-state');
  }

  async waitState(name: string, state: string, timeout = 15_000): Promise<void> {
    await this.row(name).locator(`[data-state="${state}"]`).waitFor({ timeout });
  }

  async waitGone(name: string, timeout = 15_000): Promise<void> {
    await this.row(name).waitFor({ state: 'detached', timeout });
  }

  async action(
    name: string,
    label: 'Stop' | 'Start' | 'Restart' | 'Pause' | 'Resume' | 'Remove',
  ): Promise<void> {
    await this.row(name).getByRole('button', { name: label, exact: true }).click();
  }

  async select(name: string): Promise<void> {
    await this.row(name).getByRole('checkbox').check();
  }

  async bulk(label: 'stop' | 'remove'): Promise<void> {
    await this.page.click(`[data-testid=bulk-${label}]`);
  }

  async openDetail(name: string): Promise<void> {
    await this.row(name).locator('.row-title').click();
    await this.page.waitForSelector(`[data-testid=detail-name]:text("${name}")`);
  }

  async search(q: string): Promise<void> {
    await this.page.fill('input[aria-label="Search containers"]', q);
  }
}
