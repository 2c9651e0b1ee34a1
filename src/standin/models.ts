/** Which fake checkpoint is "in VRAM". Loading another one costs STANDIN_MODEL_LOAD_MS. */
export class ModelState {
  loaded: string | null = null;
  loads = 0;
  readonly #loadMs: number;

  constructor(loadMs: number) {
    this.#loadMs = loadMs;
  }

  async ensure(ckpt: string): Promise<void> {
    if (this.loaded === ckpt) return;
    // A model load has no interrupt checks in ComfyUI either.
    await new Promise((r) => setTimeout(r, this.#loadMs));
    this.loaded = ckpt;
    this.loads++;
  }

  unload(): void {
    this.loaded = null;
  }
}
