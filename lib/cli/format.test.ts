// --format templates: the part of Go's text/template that `docker inspect -f` and `docker ps
// --format` users type, printed the way Go prints values.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { formatTemplate } from './format.js';

const container = {
  Id: 'c0ffee',
  Name: '/web',
  State: { Pid: 4242, Running: true, Status: 'running' },
  Config: { Env: ['PATH=/bin', 'A=1'], Cmd: null, Labels: { zeta: '1', alpha: '2' } },
};

describe('formatTemplate', () => {
  it('looks up a dotted field path', () => {
    expect(formatTemplate('{{.State.Pid}}', container)).toBe('4242');
    expect(formatTemplate('{{.Name}}', container)).toBe('/web');
  });

  it('keeps the text around the actions and allows spaces inside the braces', () => {
    expect(formatTemplate('pid={{ .State.Pid }} running={{.State.Running}}!', container)).toBe('pid=4242 running=true!');
  });

  it('prints a list as Go does: [a b]', () => {
    expect(formatTemplate('{{.Config.Env}}', container)).toBe('[PATH=/bin A=1]');
  });

  it('prints a map as Go does, keys sorted: map[k:v …]', () => {
    expect(formatTemplate('{{.Config.Labels}}', container)).toBe('map[alpha:2 zeta:1]');
  });

  it('prints <no value> for a missing field or a null', () => {
    expect(formatTemplate('{{.Nope}}', container)).toBe('<no value>');
    expect(formatTemplate('{{.State.Nope.Deeper}}', container)).toBe('<no value>');
    expect(formatTemplate('{{.Config.Cmd}}', container)).toBe('<no value>');
  });

  it('prints JSON with {{json .Field}}, and null for a missing one', () => {
    expect(formatTemplate('{{json .Config.Env}}', container)).toBe('["PATH=/bin","A=1"]');
    expect(formatTemplate('{{json .State}}', container)).toBe('{"Pid":4242,"Running":true,"Status":"running"}');
    expect(formatTemplate('{{json .Nope}}', container)).toBe('null');
  });

  it('refuses what it does not implement instead of guessing', () => {
    expect(() => formatTemplate('{{range .Config.Env}}{{.}}{{end}}', container)).toThrow(EngineError);
    expect(() => formatTemplate('{{upper .Name}}', container)).toThrow('template: unsupported expression {{upper .Name}}');
  });

  it('leaves a template without actions as it is', () => {
    expect(formatTemplate('just text', container)).toBe('just text');
  });
});
