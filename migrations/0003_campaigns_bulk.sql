CREATE TABLE `bulk_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`count` integer NOT NULL,
	`chunk_size` integer NOT NULL,
	`code_pattern` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `bulk_jobs_team_idx` ON `bulk_jobs` (`team_id`,`id`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`discount` text,
	`gift_card_amount` integer,
	`currency` text,
	`rules` text NOT NULL,
	`redemption_limit_per_voucher` integer,
	`per_customer_limit` integer,
	`budget_cap` integer,
	`starts_at` integer,
	`ends_at` integer,
	`paused` integer NOT NULL,
	`code_pattern` text NOT NULL,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaigns_team_idx` ON `campaigns` (`team_id`,`id`);--> statement-breakpoint
ALTER TABLE `vouchers` ADD `bulk_job_id` text;--> statement-breakpoint
ALTER TABLE `vouchers` ADD `bulk_chunk` integer;--> statement-breakpoint
CREATE INDEX `vouchers_bulk_chunk_idx` ON `vouchers` (`bulk_job_id`,`bulk_chunk`);--> statement-breakpoint
CREATE INDEX `vouchers_bulk_id_idx` ON `vouchers` (`bulk_job_id`,`id`);