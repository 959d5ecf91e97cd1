import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createRedactor, derivedForms, MIN_SECRET_LENGTH, REDACTED } from '../../src/findings/redact.js';

const CANARY = 'canary-Zq7!x/y+z=ü-secret';
const literalsOnly = createRedactor([CANARY], { patterns: false });

describe('secret values and their derived forms', () => {
  const utf8 = Buffer.from(CANARY, 'utf8');
  const b64 = utf8.toString('base64');
  test.each([
    ['plain', CANARY],
    ['base64', b64],
    ['base64 without padding', b64.replace(/=+$/, '')],
    ['base64url', b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')],
    ['URL-encoded', encodeURIComponent(CANARY)],
    ['hex', utf8.toString('hex')],
    ['HEX', utf8.toString('hex').toUpperCase()],
    ['JSON-escaped', JSON.stringify(CANARY).slice(1, -1)],
  ])('%s form is redacted wherever it appears', (_name, form) => {
    for (const text of [form, `before ${form} after`, `${form}${form}`, `中文${form}\n`]) {
      const out = literalsOnly.redact(text);
      expect(out.text).not.toContain(form);
      expect(out.text).toContain(REDACTED);
      expect(out.count).toBeGreaterThanOrEqual(1);
    }
  });

  test.each([0, 1, 2, 3, 4, 5])(
    'secret embedded in a base64 stream after %i bytes: at most 2 of its characters survive',
    (k) => {
      for (const urlSafe of [false, true]) {
        const blob = Buffer.concat([randomBytes(k), utf8, randomBytes(7)]).toString('base64');
        const text = urlSafe ? blob.replace(/\+/g, '-').replace(/\//g, '_') : blob;
        const out = literalsOnly.redact(text);
        expect(out.count).toBe(1);
        const removed = text.length - (out.text.length - REDACTED.length);
        expect(removed).toBeGreaterThanOrEqual(Math.floor((utf8.length * 4) / 3) - 2);
      }
    },
  );

  test('a value with characters beyond Latin-1 is found in two-byte text', () => {
    const secret = 'pass-€-😀-wörd-ünïcode';
    const r = createRedactor([secret], { patterns: false });
    for (const pad of ['', 'x', 'xy', 'xyz']) {
      expect(r.redact(`日本${pad}${secret}語`).text).toBe(`日本${pad}${REDACTED}語`);
    }
  });

  test.each([1, 2, 3, 5, 8, 13])(
    'a value across a scan chunk boundary (%i chars before it) is found',
    (k) => {
      const text = 'z'.repeat((1 << 18) - k) + CANARY + 'z'.repeat(100);
      const out = literalsOnly.redact(text);
      expect(out.count).toBe(1);
      expect(out.text).not.toContain(CANARY.slice(0, 8));
    },
  );

  test('each line of a multi-line secret is redacted on its own', () => {
    const key = 'first-line-of-key\nsecond-line-of-key';
    const r = createRedactor([key], { patterns: false });
    expect(r.redact('x second-line-of-key y').text).toBe(`x ${REDACTED} y`);
  });

  test('values shorter than MIN_SECRET_LENGTH are ignored and counted', () => {
    const r = createRedactor(['short', '', 'long-enough-value'], { patterns: false });
    expect(r.ignoredShort).toBe(1);
    expect(r.redact('short long-enough-value').text).toBe(`short ${REDACTED}`);
  });

  test('derivedForms lists the value and its encodings, none shorter than the minimum', () => {
    const forms = derivedForms('abcdefgh');
    expect(forms).toContain('abcdefgh');
    expect(forms).toContain(Buffer.from('abcdefgh').toString('base64'));
    expect(forms).toContain('6162636465666768');
    expect(forms.every((f) => f.length >= MIN_SECRET_LENGTH)).toBe(true);
    expect(derivedForms('1234567')).toEqual([]);
  });

  test('1,000 secrets: every one is found, at the edges of the text too', () => {
    const secrets = Array.from({ length: 1000 }, () => randomBytes(24).toString('base64url'));
    const r = createRedactor(secrets, { patterns: false });
    const text = secrets.join(' | ');
    const out = r.redact(text);
    expect(out.count).toBe(1000);
    for (const s of secrets) expect(out.text).not.toContain(s);
    expect(out.text.startsWith(REDACTED)).toBe(true);
    expect(out.text.endsWith(REDACTED)).toBe(true);
  });

  test('overlapping matches become one redaction and nothing around them is lost', () => {
    const r = createRedactor(['abcdefghij', 'ghijklmnop'], { patterns: false });
    expect(r.redact('<abcdefghijklmnop>')).toEqual({ text: `<${REDACTED}>`, count: 1 });
  });

  test('text without secrets is returned unchanged', () => {
    const text = 'nothing to see here, just code: const x = 1;\n';
    expect(literalsOnly.redact(text)).toEqual({ text, count: 0 });
  });
});

describe('well-known credential patterns', () => {
  const r = createRedactor([]);
  const alnum = (n: number) => 'aB3'.repeat(n).slice(0, n);
  test.each([
    ['anthropic-key', `sk-ant-api03-${alnum(80)}-${alnum(6)}AA`],
    ['github-token', `ghp_${alnum(36)}`],
    ['github-token', `ghs_${alnum(36)}`],
    ['github-token', `gho_${alnum(36)}`],
    ['github-token', `ghu_${alnum(36)}`],
    ['github-token', `ghr_${alnum(36)}`],
    ['github-token', `github_pat_${alnum(22)}_${alnum(59)}`],
    ['aws-access-key-id', 'AKIAIOSFODNN7EXAMPLE'],
    ['aws-access-key-id', 'ASIAIOSFODNN7EXAMPLE'],
    ['slack-token', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['slack-token', 'xoxp-1234567890-abcdefghij'],
    ['slack-webhook', 'hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['npm-token', `npm_${alnum(36)}`],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
  ])('%s: %s', (kind, token) => {
    const out = r.redact(`token=${token};`);
    expect(out.text).toBe(`token=[REDACTED:${kind}];`);
    expect(out.count).toBe(1);
  });

  test.each([
    ['AWS secret key assignment', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['env style', 'AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'],
    ['JSON style', '"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'],
  ])('%s keeps the name, redacts the value', (_name, line) => {
    const out = r.redact(line);
    expect(out.text).not.toContain('wJalrXUtnFEMI');
    expect(out.text).toMatch(/^.?aws_secret_access_key.*\[REDACTED:aws-secret-access-key\]/i);
  });

  test.each([
    [
      'RSA, terminated',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK/+=\n-----END RSA PRIVATE KEY-----',
      '',
    ],
    ['PKCS8, terminated', '-----BEGIN PRIVATE KEY-----\nMIIEvQ==\n-----END PRIVATE KEY-----', ''],
    [
      'encrypted headers',
      '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,AB\n\nMHcC\n-----END EC PRIVATE KEY-----',
      '',
    ],
    ['cut short', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA', ''],
  ])('private key block (%s) is redacted whole', (_name, pem) => {
    const out = r.redact(`key:\n${pem}\nafter`);
    expect(out.text).toMatch(/^key:\n\[REDACTED:private-key\]/);
    expect(out.text).not.toMatch(/MII|b3Bl|MHcC/);
  });

  test.each([
    ['too short github token', 'ghp_abc'],
    ['a word ending in ghp_', `xghp_${'a'.repeat(36)}`],
    ['AKIA inside a longer word', 'AKIAIOSFODNN7EXAMPLEMORE'],
    ['eyJ without the rest', 'eyJhbGciOiJIUzI1NiJ9 is a header'],
    ['public key', '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----'],
    ['ordinary code', 'const skAnt = "sk-ant"; // npm_install'],
  ])('no false positive: %s', (_name, text) => {
    expect(r.redact(text)).toEqual({ text, count: 0 });
  });

  test('a secret value inside a pattern match is one redaction', () => {
    const token = `ghp_${alnum(36)}`;
    const both = createRedactor([token.slice(4)]);
    expect(both.redact(`x ${token} y`).count).toBe(1);
  });
});

describe('adversarial input completes (linear matching, no catastrophic backtracking)', () => {
  const r = createRedactor([randomBytes(20).toString('hex')]);
  const MB = 1 << 20;
  test.each([
    ['eyJ', 'eyJ', false],
    ['-eyJ', '-eyJ', false],
    ['eyJ.', 'eyJ.', true],
    ['A', 'A', false],
    ['AKIA', 'AKIA', false],
    ['sk-ant-', 'sk-ant-', true],
    ['ghp_', 'ghp_', false],
    ['xoxb-', 'xoxb-', true],
    ['BEGIN lines', '-----BEGIN RSA PRIVATE KEY-----', true],
    ['aws key name', 'aws_secret_access_key = ', false],
    ['a@b', 'a@', false],
  ])('1 MB of %j', (_name, unit, redacted) => {
    const text = unit.repeat(Math.ceil(MB / unit.length));
    const out = r.redact(text);
    expect(out.count > 0).toBe(redacted);
    if (!redacted) expect(out.text).toBe(text);
  });

  test('1 MB of a run that a secret value matches everywhere is redacted', () => {
    const out = createRedactor(['A'.repeat(24)]).redact('A'.repeat(MB));
    expect(out.count).toBeGreaterThan(0);
    expect(out.text).not.toContain('A'.repeat(24));
  });
});
