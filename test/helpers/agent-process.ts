import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMetrics, type Sample } from './metrics-text.js';
import { AGENT_MAIN, model } from './testdata.js';
import { waitFor } from './wait.js';

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A config with the real test models; `extra` is YAML appended as is (other sections), `inference` extra lines of that section. */
export function agentConfigYaml(cameras: string, options: { classifier?: boolean; extra?: string; inference?: string } = {}): string {
  const classifier = options.classifier
    ? `classifier:\n  model: ${model('mobilenetv2-12-int8.onnx')}\n  labels: ${model('classification_classes_ILSVRC2012.txt')}\n  apply_to: [person]\n`
    : '';
  return [
    'log:\n  level: debug',
    'http:\n  host: 127.0.0.1\n  port: 0',
    `inference:\n  providers: [cpu]\n${options.inference ?? ''}`,
    `detector:\n  model: ${model('yolox_nano.onnx')}\n  labels: ${model('coco80_labels.txt')}`,
    classifier,
    options.extra ?? '',
    `cameras:\n${cameras}`,
  ].join('\n');
}

/** The real agent as a child process (`node dist/agent/main.js run`), with its JSON log collected. */
export class AgentProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  port = 0;
  /** The config file the agent runs with: rewrite it and send SIGHUP (or POST /-/reload) to reload. */
  configFile = '';
  private child: ChildProcess | null = null;
  private exit: Promise<number | null> | null = null;

  static async start(configYaml: string, env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    const agent = new AgentProcess();
    await agent.spawn(configYaml, env);
    return agent;
  }

  private async spawn(configYaml: string, env: NodeJS.ProcessEnv): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, configYaml);
    this.configFile = file;
    const child = spawn(process.execPath, [AGENT_MAIN, 'run', '--config', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        rmSync(dir, { recursive: true, force: true });
        resolve(code);
      }),
    );
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const listening = await waitFor(() => this.logs.find((l) => l.msg === 'http server listening'), 'agent http server', 60_000);
    this.port = listening.port as number;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return res.text();
  }

  async metrics(): Promise<Sample[]> {
    return parseMetrics(await this.metricsText());
  }

  /** SIGTERM, then the exit code (SIGKILL after the deadline). */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (!this.child || !this.exit) return null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}
