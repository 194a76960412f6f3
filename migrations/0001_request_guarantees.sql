CREATE TABLE `audit_log` (
	`request_id` text PRIMARY KEY NOT NULL,
	`team_id` text,
	`credential_id` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`status` integer NOT NULL,
	`agent_context` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_credential_idx` ON `audit_log` (`credential_id`,`request_id`);--> statement-breakpoint
CREATE TABLE `customers` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
