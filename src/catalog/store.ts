// Holds the catalog in service. A request reads `current` once and keeps that
// catalog to the end, so a reload never changes an answer half-way.
import type { Catalog } from './types.js'

export type ReloadResult = { ok: true, catalog: Catalog } | { ok: false, error: Error }

export class CatalogStore {
  #current: Catalog

  constructor (catalog: Catalog) {
    this.#current = catalog
  }

  get current (): Catalog {
    return this.#current
  }

  /**
   * Loads a catalog with `load`; swaps it in only if it loads, and `accept`,
   * given the new catalog and the one in service, throws nothing.
   */
  async reload (load: () => Promise<Catalog>, accept: (next: Catalog, current: Catalog) => void = () => {}): Promise<ReloadResult> {
    try {
      const catalog = await load()
      accept(catalog, this.#current)
      this.#current = catalog
      return { ok: true, catalog }
    } catch (error) {
      return { ok: false, error: error as Error }
    }
  }
}
