import { ZodError } from 'zod';
import { describe, expect, it } from 'vitest';
import { sourceTypes } from '../../connectors/index.js';
import { DEFAULT_TAX_ID_META_KEYS } from '../../connectors/woocommerce/config.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from './samples.js';

const block = { type: 'woocommerce', url: 'https://Tienda.example/', consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET, webhookSecret: 's3cret' };

function problems(input: Record<string, unknown>): string[] {
  try {
    sourceTypes.woocommerce!.parse(input);
  } catch (error) {
    if (error instanceof ZodError) return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('a WooCommerce connection block', () => {
  it('names its source by the store host (and WordPress sub-folder), with WooCommerce defaults', () => {
    const parsed = sourceTypes.woocommerce!.parse(block);
    expect(parsed.source).toBe('woocommerce:tienda.example');
    expect(parsed.settings).toMatchObject({ paidStatuses: ['processing', 'completed'], taxIdMetaKeys: [...DEFAULT_TAX_ID_META_KEYS] });
    expect(sourceTypes.woocommerce!.parse({ ...block, url: 'http://127.0.0.1:8088/tienda/' }).source).toBe('woocommerce:127.0.0.1:8088/tienda');
    expect(sourceTypes.woocommerce!.defaultSweepMinutes).toBe(5);
  });

  it('names the field that is wrong and how to fix it', () => {
    expect(problems({ ...block, url: 'shop.example' })).toEqual([expect.stringMatching(/^url: must be the store's address/)]);
    expect(problems({ ...block, consumerKey: 'abc' })).toEqual([expect.stringMatching(/^consumerKey: .*ck_/)]);
    expect(problems({ ...block, consumerSecret: undefined })).toEqual([expect.stringMatching(/^consumerSecret:/)]);
    expect(problems({ ...block, webhookSecret: '' })).toEqual([expect.stringMatching(/^webhookSecret: is required/)]);
    expect(problems({ ...block, paidStatuses: [] })).toEqual([expect.stringMatching(/^paidStatuses: list at least one status/)]);
    expect(problems({ ...block, paidStatuses: ['wc-processing'] })).toEqual([expect.stringMatching(/^paidStatuses.0: .*without the wc- prefix/)]);
    expect(problems({ ...block, shop: 'x' })).toEqual([expect.stringMatching(/shop/)]);
  });
});
