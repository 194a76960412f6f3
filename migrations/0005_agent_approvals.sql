CREATE TABLE `agent_approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`status` text NOT NULL,
	`operation` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`body` text,
	`params` text NOT NULL,
	`input` text,
	`idempotency_key` text,
	`agent_key_id` text NOT NULL,
	`agent_context` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`reason` text,
	`execution_result` text,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `agent_approvals_team_idx` ON `agent_approvals` (`team_id`,`id`);--> statement-breakpoint
CREATE INDEX `agent_approvals_pending_idx` ON `agent_approvals` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `approval_policies` (
	`team_id` text PRIMARY KEY NOT NULL,
	`rules` text NOT NULL,
	`ttl_seconds` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `audit_log` ADD `approval_id` text;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `decided_by` text;