import { z } from "@hono/zod-openapi";
import { Timestamp } from "../shared-schema";
import { SCOPE_VALUES } from "../../domain/scopes";

export const ScopeValue = z.enum(SCOPE_VALUES).openapi("Scope", {
  description: "action:resource, or a legacy value: read (every read:*), write (every read:* and write:* plus validate/redeem), admin (all).",
});

const Origin = z
  .string()
  .max(200)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
    } catch {
      return false;
    }
  }, "must be an origin such as https://shop.example.com (scheme, host and optional port, no path)")
  .openapi({ example: "https://shop.example.com" });


export const CreateKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    type: z.enum(["secret", "publishable"]),
    scopes: z.array(ScopeValue).min(1).max(20).optional().openapi({ description: 'Default ["admin"] for secret keys.' }),
    allowed_origins: z.array(Origin).min(1).max(50).optional().openapi({ description: "Publishable keys only, and required for them." }),
    rate_limit_per_minute: z.number().int().min(1).max(100_000).optional(),
    expires_at: Timestamp.optional(),
  })
  .openapi("CreateApiKeyRequest");

export const CreateAgentKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(ScopeValue).min(1).max(20),
    ttl_days: z.number().int().min(1).max(90).default(7),
  })
  .openapi("CreateAgentKeyRequest");

export const RotateKeyBody = z
  .strictObject({
    expire_old_in_seconds: z.number().int().min(0).max(604_800).default(0).openapi({
      description: "How long the old secret keeps working, 0 (default) to 604800 (7 days).",
    }),
  })
  .openapi("RotateApiKeyRequest");

export const ApiKey = z
  .object({
    id: z.string().openapi({ example: "key_01JD…" }),
    object: z.literal("api_key"),
    name: z.string(),
    type: z.enum(["secret", "publishable", "agent"]),
    environment: z.enum(["staging", "production"]),
    scopes: z.array(z.string()),
    display_key: z.string().openapi({ example: "vf_sk_test_Ab12Cd…" }),
    allowed_origins: z.array(z.string()),
    rate_limit_per_minute: z.number().int().nullable(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
  })
  .openapi("ApiKey");

export const ApiKeyWithSecret = ApiKey.extend({
  key: z.string().openapi({ description: "The full key. Shown only in this response: store it now." }),
}).openapi("ApiKeyWithSecret");

export const RotatedKey = ApiKeyWithSecret.extend({
  previous_key_expires_at: z.string().nullable().openapi({ description: "Until when the old secret still works; null when it died at once." }),
}).openapi("RotatedApiKey");

export const KeyParams = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "key_01JD…" }) });
