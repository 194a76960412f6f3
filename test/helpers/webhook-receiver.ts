// A real HTTP receiver for the webhook tests, started once by vitest's globalSetup (this file runs in Node, not
// in workerd). It listens on 127.0.0.1 on a random port, records every request it gets and answers each path
// as told: a list of answers (status, Retry-After, a delay before answering) used in order, then 200. Tests
// reach it over HTTP only, through its /_control/ paths; its address is handed to them with provide/inject.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

export type PlannedAnswer = { status: number; retry_after?: string; delay_ms?: number; body?: string };
export type ReceivedRequest = { method: string; path: string; headers: Record<string, string>; body: string; at: number };

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiver: string;
  }
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error("body too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

export default async function setup(project: TestProject) {
  const plans = new Map<string, PlannedAnswer[]>();
  const received = new Map<string, ReceivedRequest[]>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const body = await readBody(req).catch(() => "");
    if (url.pathname === "/_control/plan" && req.method === "POST") {
      const { path, answers } = JSON.parse(body) as { path: string; answers: PlannedAnswer[] };
      plans.set(path, [...answers]);
      return json(res, 200, { ok: true });
    }
    if (url.pathname === "/_control/requests" && req.method === "GET") {
      return json(res, 200, received.get(url.searchParams.get("path") ?? "") ?? []);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : (value ?? "");
    const list = received.get(url.pathname) ?? [];
    list.push({ method: req.method ?? "", path: url.pathname, headers, body, at: Date.now() });
    received.set(url.pathname, list);
    const answer = plans.get(url.pathname)?.shift() ?? { status: 200 };
    if (answer.delay_ms) await new Promise((resolve) => setTimeout(resolve, answer.delay_ms));
    if (res.destroyed) return;
    res.writeHead(answer.status, { "Content-Type": "text/plain", ...(answer.retry_after ? { "Retry-After": answer.retry_after } : {}) });
    res.end(answer.body ?? "ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("webhookReceiver", `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
