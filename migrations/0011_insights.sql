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
CREATE TABLE `redemption_rollups` (
	`team_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`hour` integer NOT NULL,
	`redemptions` integer NOT NULL,
	`rolled_back` integer NOT NULL,
	`discount_total` integer NOT NULL,
	PRIMARY KEY(`team_id`, `campaign_id`, `hour`)
);
