import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { networkFailureCode } from '../../src/platforms/network-failure.js';

describe('networkFailureCode: the network did not get us there', () => {
  it('names the network code, on the error or on its causes', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(networkFailureCode(refused)).toBe('ECONNREFUSED');
    expect(networkFailureCode(new TypeError('fetch failed', { cause: refused }))).toBe('ECONNREFUSED');
    expect(networkFailureCode({ original: new AggregateError([refused]) })).toBe('ECONNREFUSED');
  });

  it('counts an aborted or timed-out request as a timeout, however the abort is shaped', () => {
    expect(networkFailureCode(AbortSignal.abort().reason)).toBe('timeout');
    expect(networkFailureCode(new DOMException('late', 'TimeoutError'))).toBe('timeout');
    expect(networkFailureCode(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }))).toBe('timeout');
    expect(networkFailureCode(new Error('request failed', { cause: AbortSignal.abort().reason }))).toBe(
      'timeout',
    );
  });

  it('is undefined when the platform did answer', () => {
    expect(networkFailureCode(new UpstreamError('invalid_token', 'no'))).toBeUndefined();
    expect(networkFailureCode(Object.assign(new Error('no'), { code: 'invalid_auth' }))).toBeUndefined();
    expect(networkFailureCode('ECONNREFUSED')).toBeUndefined();
  });
});
