// The page shell: navigation, the team switcher, sign-out, and the notices a redirect after a change names.
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { ApiError } from "../errors";
import type { Membership } from "./session";

export const SECTIONS = [
  ["campaigns", "Campaigns"],
  ["vouchers", "Vouchers"],
  ["approvals", "Approvals"],
  ["keys", "API keys"],
  ["webhooks", "Webhooks"],
] as const;
export type Section = (typeof SECTIONS)[number][0];

/** What a redirect may announce: a fixed list, so a link cannot make the page say anything else. */
export const NOTICES = {
  campaign_created: "Campaign created.",
  campaign_paused: "Campaign paused.",
  campaign_resumed: "Campaign resumed.",
  rolled_back: "Redemption rolled back.",
  approved: "Approved: the stored request was run; its result is below.",
  rejected: "Rejected.",
  key_revoked: "Key revoked: the next request with it is refused.",
  webhook_test_sent: "Test event queued.",
  signed_out: "You are signed out.",
} as const;
export type Notice = keyof typeof NOTICES;

export function noticeOf(value: string | undefined): string | null {
  return value && value in NOTICES ? NOTICES[value as Notice] : null;
}

export const teamPath = (teamId: string, section: Section, rest = "") => `/dashboard/${teamId}/${section}${rest}`;

export function Csrf({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

function TeamSwitcher({ team, teams, section }: { team: Membership; teams: Membership[]; section: Section }) {
  const others = teams.filter((t) => t.id !== team.id);
  if (others.length === 0) return <span class="team">{team.name}</span>;
  return (
    <details class="team-switcher">
      <summary>{team.name}</summary>
      <ul>
        {others.map((t) => (
          <li>
            <a href={teamPath(t.id, section)}>{t.name}</a>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function Page(props: {
  title: string;
  team?: Membership;
  teams?: Membership[];
  section?: Section;
  csrf?: string;
  notice?: string | null;
  scripts?: string[];
  children?: Child;
}) {
  const { team, teams, section, csrf } = props;
  return (
    <>
    {raw("<!DOCTYPE html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Vauchflow`}</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/confirm.js" defer></script>
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer></script>
        ))}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/dashboard">
            Vauchflow
          </a>
          {team && teams && section && <TeamSwitcher team={team} teams={teams} section={section} />}
          {team && section && (
            <nav>
              {SECTIONS.map(([key, label]) => (
                <a href={teamPath(team.id, key)} aria-current={key === section ? "page" : undefined}>
                  {label}
                </a>
              ))}
            </nav>
          )}
          {csrf && (
            <form method="post" action="/dashboard/logout" class="signout">
              <Csrf token={csrf} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main>
          {props.notice && (
            <p class="notice" role="status">
              {props.notice}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
    </>
  );
}

/**
 * Older pages of a list cut at its page size: the same URL with `cursor` set to the page's next_cursor, and back to
 * the newest from any older page.
 */
export function Pager({ url, next }: { url: string; next: string | null }) {
  const here = new URL(url);
  const older = here.searchParams.has("cursor");
  if (!next && !older) return null;
  const at = (cursor: string | null) => {
    const to = new URL(here);
    if (cursor) to.searchParams.set("cursor", cursor);
    else to.searchParams.delete("cursor");
    return `${to.pathname}${to.search}`;
  };
  return (
    <nav class="pager" aria-label="Pages">
      {older && <a href={at(null)}>← Newest</a>}
      {next && <a href={at(next)}>Older →</a>}
    </nav>
  );
}

/** How many minor units a currency has (EUR 2, JPY 0, KWD 3), from the runtime's ISO-4217 data. */
function minorUnits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as a readable amount: 1250 EUR → "12.50 EUR", 1250 JPY → "1250 JPY", 1250 KWD → "1.250 KWD". */
export function money(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return "—";
  if (!currency) return String(amount);
  const digits = minorUnits(currency);
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}

/** A timestamp as "2026-11-30 15:46 UTC" (seconds in the tooltip and the datetime attribute), kept on one line. */
export const when = (value: string | null | undefined) =>
  value ? (
    <time datetime={value} title={value.replace("T", " ").replace("Z", " UTC")}>
      {value.slice(0, 16).replace("T", " ")} UTC
    </time>
  ) : (
    "—"
  );

/**
 * A refusal the user can fix by changing what they typed (the form's rules, a conflict, an unacceptable value): the
 * form is shown again with their input and what to change, instead of an error page that loses it.
 */
export function fixable(err: unknown): err is ApiError {
  return err instanceof ApiError && (err.status === 400 || err.status === 409 || err.status === 422);
}

/** A form's inputs by the API field (detail path) each one feeds: its input's name and its label. */
export type FormFields = Record<string, { input: string; label: string }>;

/** The inputs a refusal names (for aria-invalid): a path the form does not know names none. */
export function invalidInputs(error: ApiError | null | undefined, fields: FormFields): Set<string> {
  return new Set((error?.details ?? []).flatMap((d) => (fields[d.path] ? [fields[d.path]!.input] : [])));
}

/** Why the form above was not accepted, each field the API named called by its label on the form. */
export function FormError({ error, fields = {} }: { error?: ApiError | null; fields?: FormFields }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-testid="form-error">
      <p>{error.message}</p>
      {error.details && (
        <ul class="details">
          {error.details.map((d) => (
            <li>{fields[d.path] ? <strong>{fields[d.path]!.label}</strong> : <code>{d.path}</code>}: {d.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The page a secret is shown on, once (a new or rotated key, a webhook's signing secret): nothing stores it for
 * the dashboard, so leaving the page loses it.
 */
export function SecretOnce(props: { shell: Omit<Parameters<typeof Page>[0], "title" | "children">; title: string; lead: Child; secret: string; back: { href: string; label: string } }) {
  return (
    <Page title={props.title} {...props.shell}>
      <h1>{props.title}</h1>
      <section class="card secret">
        <p>{props.lead} Copy it now: it is shown this once and cannot be shown again.</p>
        <output data-testid="new-secret"><code>{props.secret}</code></output>
      </section>
      <p><a href={props.back.href}>{props.back.label}</a></p>
    </Page>
  );
}
