CREATE TABLE `customer_erasures` (
	`subject_hash` text NOT NULL,
	`team_id` text NOT NULL,
	`pseudonym` text NOT NULL,
	`erased_at` integer NOT NULL,
	PRIMARY KEY(`subject_hash`, `erased_at`)
);
--> statement-breakpoint
CREATE TABLE `fraud_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`type` text NOT NULL,
	`severity` text NOT NULL,
	`subject` text NOT NULL,
	`window_start` integer NOT NULL,
	`window_seconds` integer NOT NULL,
	`count` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fraud_alerts_window_idx` ON `fraud_alerts` (`team_id`,`type`,`subject`,`window_start`);--> statement-breakpoint
CREATE INDEX `fraud_alerts_team_seen_idx` ON `fraud_alerts` (`team_id`,`last_seen`);--> statement-breakpoint
CREATE TABLE `fraud_settings` (
	`team_id` text PRIMARY KEY NOT NULL,
	`settings` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ledger_dead_letters` (
	`message_id` text PRIMARY KEY NOT NULL,
	`source` text,
	`body` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`parked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `redemption_rollups` (
	`team_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`hour` integer NOT NULL,
	`redemptions` integer NOT NULL,
	`rolled_back` integer NOT NULL,
	`discount_total` integer NOT NULL,
	PRIMARY KEY(`team_id`, `campaign_id`, `hour`)
);
--> statement-breakpoint
CREATE TABLE `voucher_validations` (
	`team_id` text NOT NULL,
	`voucher_id` text NOT NULL,
	`hour` integer NOT NULL,
	`validations` integer NOT NULL,
	`valid` integer NOT NULL,
	PRIMARY KEY(`team_id`, `voucher_id`, `hour`)
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`attempt` integer DEFAULT 0 NOT NULL,
	`response_status` integer,
	`duration_ms` integer,
	`error` text,
	`next_attempt_at` integer,
	`claimed_until` integer,
	`manual` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_event_endpoint_unique` ON `webhook_deliveries` (`event_id`,`endpoint_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`endpoint_id`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_status_idx` ON `webhook_deliveries` (`endpoint_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`next_attempt_at`) WHERE status IN ('pending', 'failed');--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`description` text,
	`status` text NOT NULL,
	`disabled_reason` text,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` integer,
	`failing_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_team_idx` ON `webhook_endpoints` (`team_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`endpoint_id` text,
	`created_at` integer NOT NULL,
	`dispatched_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhook_events_undispatched_idx` ON `webhook_events` (`created_at`) WHERE dispatched_at IS NULL;--> statement-breakpoint
CREATE INDEX `webhook_events_team_idx` ON `webhook_events` (`team_id`,`id`);