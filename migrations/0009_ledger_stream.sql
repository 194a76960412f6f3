CREATE TABLE `ledger_dead_letters` (
	`message_id` text PRIMARY KEY NOT NULL,
	`source` text,
	`body` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`parked_at` integer NOT NULL
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
