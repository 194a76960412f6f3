ALTER TABLE `api_keys` ADD `state_revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `object_revision` integer DEFAULT 0 NOT NULL;