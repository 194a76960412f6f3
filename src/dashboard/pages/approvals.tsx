// The approval queue: agents' held requests, each shown as stored (method, path, body, agent context), approved
// or rejected by the roles that may decide. The buttons follow the role; the service decides either way.
import { Hono } from "hono";
import { RejectBody } from "../../routes/agent-approvals/schema";
import { ROLE_SCOPES } from "../../services/access";
import { type ApprovalStatus, approveApproval, getApproval, listApprovals, rejectApproval } from "../../services/approvals";
import { type DashboardContext, parseWith, readForm, redirectTo, services } from "../context";
import { Csrf, noticeOf, Page, SecretOnce, teamPath, when } from "../layout";
import type { DashboardEnv } from "../types";

export const approvalPages = new Hono<DashboardEnv>();

const STATUSES: ApprovalStatus[] = ["pending_approval", "executed", "failed", "rejected", "expired"];

function shell(c: DashboardContext) {
  return { team: c.get("team"), teams: c.get("teams"), csrf: c.get("csrf"), section: "approvals" as const, notice: noticeOf(c.req.query("notice")) };
}

const mayDecide = (c: DashboardContext) => ROLE_SCOPES[c.get("team").role].includes("write:approvals");
const json = (value: unknown) => JSON.stringify(value, null, 2);

approvalPages.get("/", async (c) => {
  const asked = c.req.query("status");
  const status = STATUSES.find((s) => s === asked) ?? "pending_approval";
  const team = c.get("team");
  const { data } = await listApprovals(services(c), { status, limit: 100 });
  return c.html(
    <Page title="Approvals" {...shell(c)}>
      <h1>Approvals</h1>
      <nav class="tabs" aria-label="Approval status">
        {STATUSES.map((s) => (
          <a href={`${teamPath(team.id, "approvals")}?status=${s}`} aria-current={s === status ? "page" : undefined}>
            {s.replace("_", " ")}
          </a>
        ))}
      </nav>
      {data.length === 0 ? (
        <p class="empty">Nothing {status.replace("_", " ")}.</p>
      ) : (
        <table>
          <thead>
            <tr><th>Request</th><th>Operation</th><th>Agent key</th><th>Created</th><th>Expires</th></tr>
          </thead>
          <tbody>
            {data.map((a) => (
              <tr>
                <td data-label="Request"><a href={teamPath(team.id, "approvals", `/${a.id}`)}><code>{a.method} {a.path}</code></a></td>
                <td data-label="Operation">{a.operation}</td>
                <td data-label="Agent key"><code>{a.agent_key_id}</code></td>
                <td data-label="Created">{when(a.created_at)}</td>
                <td data-label="Expires">{when(a.expires_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!mayDecide(c) && <p class="muted">Only owners and admins can approve or reject.</p>}
    </Page>,
  );
});

approvalPages.get("/:id", async (c) => {
  const a = await getApproval(services(c), c.req.param("id"));
  const team = c.get("team");
  const base = teamPath(team.id, "approvals", `/${a.id}`);
  return c.html(
    <Page title={`Approval ${a.id}`} {...shell(c)}>
      <p class="crumbs"><a href={teamPath(team.id, "approvals")}>Approvals</a></p>
      <h1>
        <code>{a.method} {a.path}</code> <span class={`status ${a.status}`}>{a.status.replace("_", " ")}</span>
      </h1>
      <dl class="facts">
        <dt>Approval</dt><dd><code>{a.id}</code></dd>
        <dt>Operation</dt><dd>{a.operation}</dd>
        <dt>Agent key</dt><dd><code>{a.agent_key_id}</code></dd>
        <dt>Agent context</dt><dd>{a.agent_context ? <code>{json(a.agent_context)}</code> : "—"}</dd>
        <dt>Created</dt><dd>{when(a.created_at)}</dd>
        <dt>Expires</dt><dd>{when(a.expires_at)}</dd>
        {a.decided_by && (<><dt>Decided by</dt><dd><code>{a.decided_by}</code> at {when(a.decided_at)}</dd></>)}
        {a.reason && (<><dt>Reason</dt><dd>{a.reason}</dd></>)}
      </dl>
      <h2>The stored request body</h2>
      <pre class="json" data-testid="approval-body">{json(a.body)}</pre>
      {a.execution_result && (
        <>
          <h2>Result</h2>
          <pre class="json">{json(a.execution_result)}</pre>
        </>
      )}
      {a.status === "pending_approval" && mayDecide(c) && (
        <div class="actions">
          <form method="post" action={`${base}/approve`}>
            <Csrf token={c.get("csrf")} />
            <button type="submit">Approve and run</button>
          </form>
          <form method="post" action={`${base}/reject`} class="inline" data-confirm="Reject this request? It will never run; the decision is final.">
            <Csrf token={c.get("csrf")} />
            <input name="reason" placeholder="Reason (optional)" maxlength={500} aria-label="Rejection reason" />
            <button type="submit" class="danger">Reject</button>
          </form>
        </div>
      )}
    </Page>,
  );
});

approvalPages.post("/:id/approve", async (c) => {
  await readForm(c);
  const a = await approveApproval(services(c), c.req.param("id"));
  const page = teamPath(c.get("team").id, "approvals", `/${a.id}`);
  // An approved webhook create or rotation made a signing secret: this answer is the only place it is shown.
  const made = a.execution_result?.body as { secret?: unknown; url?: unknown } | null | undefined;
  if (typeof made?.secret === "string") {
    const lead = <>The approved request ({a.method} {a.path}) made a new signing secret.</>;
    return c.html(<SecretOnce shell={shell(c)} title="Approved: new signing secret" lead={lead} secret={made.secret} back={{ href: page, label: "Go to the approval" }} />);
  }
  return redirectTo(c, page, "approved");
});

approvalPages.post("/:id/reject", async (c) => {
  const form = await readForm(c);
  const input = parseWith(RejectBody, form.reason ? { reason: form.reason } : {});
  const a = await rejectApproval(services(c), c.req.param("id"), input);
  return redirectTo(c, teamPath(c.get("team").id, "approvals", `/${a.id}`), "rejected");
});
