CREATE TABLE `redemptions` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`voucher_id` text NOT NULL,
	`code` text NOT NULL,
	`campaign_id` text,
	`customer_id` text,
	`order_id` text,
	`order` text NOT NULL,
	`discount_amount` integer NOT NULL,
	`currency` text,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`rolled_back_at` integer,
	`rollback_reason` text
);
--> statement-breakpoint
CREATE INDEX `redemptions_team_customer_idx` ON `redemptions` (`team_id`,`customer_id`,`id`);--> statement-breakpoint
CREATE INDEX `redemptions_team_voucher_idx` ON `redemptions` (`team_id`,`voucher_id`,`id`);--> statement-breakpoint
CREATE INDEX `redemptions_team_created_idx` ON `redemptions` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `vouchers` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`code` text NOT NULL,
	`campaign_id` text,
	`type` text NOT NULL,
	`discount` text,
	`gift_card_amount` integer,
	`gift_card_balance` integer,
	`currency` text,
	`redemption_limit` integer,
	`per_customer_limit` integer,
	`redemptions_count` integer DEFAULT 0 NOT NULL,
	`rules` text NOT NULL,
	`starts_at` integer,
	`expires_at` integer,
	`active` integer NOT NULL,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vouchers_team_code_unique` ON `vouchers` (`team_id`,`code`);--> statement-breakpoint
CREATE INDEX `vouchers_team_id_idx` ON `vouchers` (`team_id`,`id`);--> statement-breakpoint
CREATE INDEX `vouchers_team_campaign_idx` ON `vouchers` (`team_id`,`campaign_id`,`id`);