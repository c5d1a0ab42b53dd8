import { describe, expect, it } from 'vitest';
import { apiUrl, basePath, socketPath } from './base';
import { authorizePayload, credentialFrom, restAuth } from './credentials';
import { sha1Hex } from './sha1';

describe('sha1', () => {
  it('matches known digests', () => {
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1Hex('this is my long pass phrase')).toBe('b723e97aa97846eb92d5264f084b2823f57c4aa1');
    expect(sha1Hex('a'.repeat(1000))).toBe('291e9a6c66994949b57ba5e650361e98fc36b1ba');
    expect(sha1Hex('héllo ✓')).toHaveLength(40);
  });
});

describe('credentials', () => {
  it('hashes secrets, keeps hashes and tokens', () => {
    expect(credentialFrom('this is my long pass phrase')).toEqual({ kind: 'secret', hash: 'b723e97aa97846eb92d5264f084b2823f57c4aa1' });
    expect(credentialFrom('B723E97AA97846EB92D5264F084B2823F57C4AA1')).toEqual({ kind: 'secret', hash: 'b723e97aa97846eb92d5264f084b2823f57c4aa1' });
    expect(credentialFrom('parent-0123456789abcdef')).toEqual({ kind: 'token', token: 'parent-0123456789abcdef' });
    expect(credentialFrom('  ')).toBeNull();
  });
  it('authorizes REST and the socket', () => {
    const c = credentialFrom('this is my long pass phrase');
    expect(restAuth(c).headers['api-secret']).toBe('b723e97aa97846eb92d5264f084b2823f57c4aa1');
    expect(restAuth({ kind: 'token', token: 'a-0123456789abcdef' }).query).toBe('token=a-0123456789abcdef');
    expect(authorizePayload(c)).toEqual({ client: 'web', history: 48, secret: 'b723e97aa97846eb92d5264f084b2823f57c4aa1' });
    expect(authorizePayload(null)).toEqual({ client: 'web', history: 48 });
  });
});

describe('base path', () => {
  it('derives API and socket.io addresses from the page path', () => {
    expect(basePath('/')).toBe('/');
    expect(basePath('/dante/')).toBe('/dante/');
    expect(basePath('/dante/index.html')).toBe('/dante/');
    expect(apiUrl('/dante/', 'api/v1/status.json')).toBe('/dante/api/v1/status.json');
    expect(socketPath('/dante/')).toBe('/dante/socket.io');
    expect(socketPath('/')).toBe('/socket.io');
  });
});
