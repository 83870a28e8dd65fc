// Page object: the Run dialog. Sliders are moved with the keyboard (arrow
// keys step through the slider's stops), as a person using it would.
import type { Page } from 'playwright-core';

export class RunDialog {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.click('[data-nav=containers]');
    await this.page.click('[data-testid=open-run]');
    await this.page.waitForSelector('[role=dialog][aria-label="Run a container"]');
  }

  async fill(o: { image: string; name: string; command?: string; env?: string[] }): Promise<void> {
    await this.page.fill('input[name=image]', o.image);
    await this.page.fill('input[name=name]', o.name);
    if (o.command) await this.page.fill('input[name=command]', o.command);
    if (o.env) await this.page.fill('textarea[name=env]', o.env.join('\n'));
  }

  /** Steps a slider with arrow keys until its label reads `label`. */
  async slideTo(id: string, label: string, maxSteps = 40): Promise<void> {
    await slideTo(this.page, id, label, maxSteps);
  }

  /** Submits and returns the error the dialog shows (it stays open). */
  async submitForError(): Promise<string> {
    await this.page.click('[data-testid=run-submit]');
    const note = this.page.locator('[role=dialog] [role=alert]');
    await note.waitFor({ timeout: 15_000 });
    return note.innerText();
  }

  async cancel(): Promise<void> {
    await this.page.getByRole('button', { name: 'Cancel' }).click();
  }

  async submit(): Promise<void> {
    await this.page.click('[data-testid=run-submit]');
    await this.page.waitForSelector('[role=dialog][aria-label="Run a container"]', { state: 'detached' });
  }
}

export async function slideTo(page: Page, id: string, label: string, maxSteps = 40): Promise<void> {
  const slider = page.locator(`#${id}-range`);
  const value = page.locator(`[data-testid=${id}-value]`);
  await slider.focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < maxSteps; i++) {
    if ((await value.textContent())?.trim() === label) return;
    await page.keyboard.press('ArrowRight');
  }
  throw new Error(`slider ${id} never showed ${label} (last: ${await value.textContent()})`);
}
