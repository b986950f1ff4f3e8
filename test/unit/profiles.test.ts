import { describe, expect, it } from 'vitest';
import { allProfiles, selectByProfiles } from '../../src/core/load/profiles.js';

const services = {
  web: {},
  debug: { profiles: ['debug'] },
  tools: { profiles: ['ops', 'debug'] },
  lint: { profiles: ['ci'] },
};

describe('profiles', () => {
  it('enables services without profiles and those with an active profile', () => {
    const s = selectByProfiles(services, ['debug']);
    expect(Object.keys(s.enabled)).toEqual(['web', 'debug', 'tools']);
    expect(Object.keys(s.disabled)).toEqual(['lint']);
  });

  it('"*" enables everything', () => {
    expect(Object.keys(selectByProfiles(services, ['*']).enabled)).toHaveLength(4);
  });

  it('naming a disabled service enables all of its profiles', () => {
    const s = selectByProfiles(services, [], ['tools']);
    expect(s.activeProfiles).toEqual(['debug', 'ops']);
    expect(Object.keys(s.enabled)).toEqual(['web', 'debug', 'tools']);
  });

  it('lists every profile used', () => {
    expect(allProfiles(services)).toEqual(['ci', 'debug', 'ops']);
  });
});
