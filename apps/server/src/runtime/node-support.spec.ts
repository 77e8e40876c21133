import { nodeSupportWarning } from './node-support';

describe('nodeSupportWarning', () => {
  it.each(['22.0.0', '22.12.1', '24.3.0', '26.1.0'])('is silent on Node.js %s (LTS)', (v) => {
    expect(nodeSupportWarning(v)).toBeNull();
  });

  it('says Node.js 20 reached its end of life and what to run instead', () => {
    expect(nodeSupportWarning('20.20.2')).toBe(
      'Node.js 20.20.2 reached its end of life in April 2026: the server runs on it, but it gets ' +
        'no security fixes; run Node.js 22 or 24 (LTS) in production',
    );
  });

  it.each(['23.1.0', '25.0.0'])('calls Node.js %s a release without long-term support', (v) => {
    expect(nodeSupportWarning(v)).toContain('is not a long-term-support release');
  });

  it.each(['18.20.0', '20.11.0', '20.18.0'])('calls Node.js %s unsupported', (v) => {
    expect(nodeSupportWarning(v)).toContain('is not supported (it needs 20.18.1 at least');
  });
});
