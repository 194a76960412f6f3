CREATE TABLE `customer_reservations` (
	`team_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`code` text NOT NULL,
	`campaign_id` text,
	`reserved_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `customer_id`, `code`)
);
